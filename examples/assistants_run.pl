#!/usr/bin/env perl
# Ask an assistant one question: a thread holding the question, a run of the
# assistant on it, polled until it is done, then the thread's messages in order.
#
#   perl assistants_run.pl ASSISTANT_ID ["question"]
#   (POLL_SECONDS sets the pause between polls, 1 by default)
use strict;
use warnings;

use OpenAPI::Client::OpenAI;
use Time::HiRes qw(sleep);

binmode STDOUT, ':encoding(UTF-8)';

my $assistant_id = shift // die "usage: $0 ASSISTANT_ID [QUESTION]\n";
my $question     = shift // 'How does AI work? Explain it in simple terms.';
my $poll_seconds = $ENV{POLL_SECONDS} // 1;
my $max_polls    = 120;
my %unfinished   = map { $_ => 1 } qw(queued in_progress cancelling);

my $client = OpenAPI::Client::OpenAI->new(undef, assistants => 1);

my $tx = $client->createThread({body => {messages => [{role => 'user', content => $question}]}});
check($tx, 'createThread');
my $thread_id = $tx->res->json('/id');
print "thread $thread_id\n";

$tx = $client->createRun({thread_id => $thread_id, body => {assistant_id => $assistant_id}});
check($tx, 'createRun');
my $run = $tx->res->json;
print "run $run->{id}: $run->{status}\n";

my $polls = 0;
while ($unfinished{$run->{status}}) {
  die "run $run->{id} is still $run->{status} after $max_polls polls\n" if ++$polls > $max_polls;
  sleep $poll_seconds;
  $tx = $client->getRun({thread_id => $thread_id, run_id => $run->{id}});
  check($tx, 'getRun');
  $run = $tx->res->json;
  print "run $run->{id}: $run->{status}\n";
}
die "run $run->{id} ended $run->{status}\n" unless $run->{status} eq 'completed';

$tx = $client->listMessages({thread_id => $thread_id, order => 'asc', limit => 20});
check($tx, 'listMessages');
for my $message (@{$tx->res->json('/data') // []}) {
  for my $part (@{$message->{content}}) {
    print "$message->{role}: $part->{text}{value}\n" if $part->{type} eq 'text';
  }
}

sub check {
  my ($tx, $what) = @_;
  my $err = $tx->error or return;
  my $detail = $tx->res->json('/error/message') // $err->{message};
  die "$what failed: $detail\n";
}
