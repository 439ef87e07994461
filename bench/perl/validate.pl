#!/usr/bin/perl
# Validation alone, as OpenAPI::Client's _build_tx asks for it: the client's
# validator (JSON::Validator::Schema::OpenAPIv3) and validate_request with getters,
# with no URL, transaction or I/O around it.
#
#   perl validate.pl CLASS SPEC WARMUP CALLS
#
# Prints one JSON object: microseconds per validation of a modifyRun request and of
# a createChatCompletion request with a 20-message body.
use strict;
use warnings;

use Mojo::JSON qw(decode_json encode_json);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

my ($class, $spec, $warmup, $calls) = @ARGV;
die "usage: $0 CLASS SPEC WARMUP CALLS\n" unless defined $calls;
eval "require $class; 1" or die $@;

my $validator = $class->new($spec)->validator;

# The getters OpenAPI::Client passes: {exists, value} per parameter name.
sub getters {
  my ($params) = @_;
  my $get = sub { my ($name) = @_; {exists => exists $params->{$name}, value => $params->{$name}} };
  return {body => $get, path => $get, query => $get, header => $get};
}

my $chat = decode_json($ENV{BENCH_CHAT_BODY} // die "BENCH_CHAT_BODY is not set\n");
my %case = (
  modifyRun => [
    [post => '/threads/{thread_id}/runs/{run_id}'],
    getters({
      thread_id => 'thread_abc123',
      run_id    => 'run_abc123',
      body      => {metadata => {user_id => 'user_abc123'}}
    })
  ],
  createChatCompletion => [[post => '/chat/completions'], getters({body => $chat})],
);

my %times = map { ($_ => []) } keys %case;
for my $i (1 .. $warmup + $calls) {
  for my $name (sort keys %case) {
    my $start  = clock_gettime(CLOCK_MONOTONIC);
    my @errors = $validator->validate_request(@{$case{$name}});
    my $spent  = clock_gettime(CLOCK_MONOTONIC) - $start;
    die "$name: @errors\n" if @errors;
    push @{$times{$name}}, $spent * 1e6 if $i > $warmup;
  }
}

print encode_json({peer => $class, %times}), "\n";
