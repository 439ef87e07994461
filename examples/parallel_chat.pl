#!/usr/bin/env perl
# Several chat completions at once: one promise per prompt, all awaited
# together, answers printed in the order of the prompts.
#
#   perl parallel_chat.pl ["prompt" ...]
use strict;
use warnings;

use Mojo::Promise;
use OpenAPI::Client::OpenAI;

binmode STDOUT, ':encoding(UTF-8)';

my @prompts = @ARGV ? @ARGV : ('Name a colour.', 'Name a fruit.', 'Name a planet.');
my $model   = 'gpt-4o-mini';
my $client  = OpenAPI::Client::OpenAI->new;
$client->ua->inactivity_timeout(120);

my @promises = map {
  $client->createChatCompletion_p({body => {model => $model, messages => [{role => 'user', content => $_}], n => 1}})
} @prompts;

my $status = 0;
Mojo::Promise->all(@promises)->then(sub {
  my @results = @_;
  for my $i (0 .. $#results) {
    my ($tx) = @{$results[$i]};
    if (my $err = $tx->error) {
      printf "%s => error %s\n", $prompts[$i], $tx->res->json('/error/message') // $err->{message};
      $status = 1;
      next;
    }
    printf "%s => %s\n", $prompts[$i], $tx->res->json('/choices/0/message/content');
  }
})->catch(sub {
  my $reason = shift;
  print "a request failed: $reason\n";
  $status = 2;
})->wait;

printf "%d prompts answered\n", scalar @prompts;
exit $status;
