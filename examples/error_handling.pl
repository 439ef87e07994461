#!/usr/bin/env perl
# The three ways a call can go wrong, and how a program tells them apart:
# input the spec rejects (a local 400, nothing sent), an error from the API
# (here a 404 for an empty thread id), and a call the client cannot make at all.
#
#   perl error_handling.pl [THREAD_ID]
use strict;
use warnings;

use OpenAPI::Client::OpenAI;

my $thread_id = shift // $ENV{THREAD_ID} // '';    # empty: the classic unset variable
my $client    = OpenAPI::Client::OpenAI->new(undef, assistants => 1);
my $failures  = 0;

report('retrieveModel without a model', $client->retrieveModel({}));
report('createEmbedding with a bad body',
  $client->createEmbedding({body => {model => 'text-embedding-3-small', input => 'x', dimensions => 'many'}}));
report("listMessages of thread '$thread_id'", $client->listMessages({thread_id => $thread_id, limit => 5}));
report('listModels', $client->listModels);

my $ok = eval { $client->call(retrieveAnything => {id => 1}); 1 };
unless ($ok) {
  (my $message = $@) =~ s/ at \S+ line \d+\.?\n\z//;
  print "call retrieveAnything: died: $message\n";
  $failures++;
}

print "$failures call(s) failed\n";
exit($failures ? 1 : 0);

sub report {
  my ($what, $tx) = @_;
  my $err = $tx->error;
  unless ($err) {
    printf "%s: ok, %d %s\n", $what, $tx->res->code, $tx->res->json('/object') // '';
    return;
  }
  $failures++;
  unless ($err->{code}) {
    print "$what: no response: $err->{message}\n";
    return;
  }
  if (my $errors = $tx->res->json('/errors')) {    # the local 400 of invalid input
    print "$what: $err->{code} $err->{message}: ", join('; ', map {"$_->{path} $_->{message}"} @$errors), "\n";
    return;
  }
  my $detail = $tx->res->json('/error/message') // 'no details';
  print "$what: $err->{code} $err->{message}: $detail\n";
}
