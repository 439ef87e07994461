#!/usr/bin/perl
# The Perl side of bench/streaming.py: one kind of call, then a JSON line of figures.
#
#   perl -I perl_compat/perl bench/perl/stream.pl SPEC BASE_URL MODE [CALLS]
#
# MODE "baseline": one call without stream (the body is small);
#      "read": one streamed call read the Mojo way (unsubscribe('read') in
#              after_build_tx, a read handler counting bytes: nothing buffered);
#      "latency": CALLS streamed calls, each noting when its first non-empty
#                 piece reached the handler (Time::HiRes::time).
# Peak RSS is VmHWM from /proc/self/status, read at the end.
use strict;
use warnings;

use Mojo::JSON qw(encode_json true);
use Time::HiRes ();

my ($spec, $base_url, $mode, $calls) = @ARGV;
$calls //= 1;

my $class = eval { require OpenAPI::Client::OpenAI; 'OpenAPI::Client::OpenAI' }
  // do { require PerlCompat::OpenAI; 'PerlCompat::OpenAI' };
my $client = $class->new($spec, base_url => $base_url);
my $messages = [{role => 'user', content => 'Hi'}];

my ($bytes, @first) = (0);
if ($mode ne 'baseline') {
  $client->on(
    after_build_tx => sub {
      my ($c, $tx) = @_;
      my $seen;
      $tx->res->content->unsubscribe('read')->on(
        read => sub {
          my ($content, $piece) = @_;
          return unless length $piece;
          push @first, Time::HiRes::time() unless $seen++;
          $bytes += length $piece;
        }
      );
    }
  );
}

my $started = Time::HiRes::time();
my $error;
for (1 .. $calls) {
  my $body = {model => 'gpt-4o', messages => $messages, ($mode eq 'baseline' ? () : (stream => true))};
  my $tx = $client->createChatCompletion({body => $body});
  $error //= $tx->error && $tx->error->{message};
}
my $seconds = Time::HiRes::time() - $started;

open my $status, '<', '/proc/self/status' or die "no /proc/self/status: $!";
my ($hwm) = map {/^VmHWM:\s+(\d+)/ ? $1 : ()} <$status>;
print encode_json({peak_kib => 0 + $hwm, bytes => $bytes, seconds => $seconds, first => \@first, error => $error}),
  "\n";
