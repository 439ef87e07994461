#!/usr/bin/perl
# Per-call round trips of the Perl client: getRun and modifyRun, interleaved.
#
#   perl calls.pl CLASS SPEC BASE_URL WARMUP CALLS
#
# CLASS is OpenAPI::Client::OpenAI (or its stand-in PerlCompat::OpenAI). Prints one
# JSON object: the class used, and the microseconds of each timed call per operation
# (getRun+json also decodes the body, as $tx->res->json does).
use strict;
use warnings;

use Mojo::JSON qw(encode_json);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

my ($class, $spec, $base_url, $warmup, $calls) = @ARGV;
die "usage: $0 CLASS SPEC BASE_URL WARMUP CALLS\n" unless defined $calls;
eval "require $class; 1" or die $@;

my $client = $class->new($spec, base_url => $base_url);
my %ids    = (thread_id => 'thread_abc123', run_id => 'run_abc123');
my %call   = (
  getRun        => sub { $client->getRun({%ids}) },
  modifyRun     => sub { $client->modifyRun({%ids, body => {metadata => {user_id => 'user_abc123'}}}) },
  'getRun+json' => sub { my $tx = $client->getRun({%ids}); $tx->res->json; $tx },
);

my %times = map { $_ => [] } keys %call;
for my $i (1 .. $warmup + $calls) {
  for my $op (sort keys %call) {
    my $start = clock_gettime(CLOCK_MONOTONIC);
    my $tx    = $call{$op}->();
    my $spent = clock_gettime(CLOCK_MONOTONIC) - $start;
    my $code  = $tx->res->code // 'none';
    die "$op: HTTP $code: " . ($tx->error ? $tx->error->{message} : '') . "\n" unless $code eq '200';
    push @{$times{$op}}, $spent * 1e6 if $i > $warmup;
  }
}

print encode_json({peer => $class, %times}), "\n";
