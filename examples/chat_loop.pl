#!/usr/bin/env perl
# A chat on standard input: each line is sent with the conversation so far, and
# the answer is printed and remembered. "quit" or the end of input stops it.
#
#   perl chat_loop.pl [MODEL] < questions.txt
use strict;
use warnings;

use OpenAPI::Client::OpenAI;

binmode STDIN,  ':encoding(UTF-8)';
binmode STDOUT, ':encoding(UTF-8)';

my $model    = shift // 'gpt-4o-mini';
my $client   = OpenAPI::Client::OpenAI->new;
my @messages = ({role => 'system', content => 'You are a helpful assistant. Answer briefly.'});

while (my $line = <STDIN>) {
  chomp $line;
  next unless $line =~ /\S/;
  last if $line =~ /^\s*(?:quit|exit)\s*$/i;

  push @messages, {role => 'user', content => $line};
  my $tx = $client->createChatCompletion({body => {model => $model, messages => \@messages, temperature => 0.2}});
  if (my $err = $tx->error) {
    my $detail = $tx->res->json('/error/message') // $err->{message};
    print "(no answer: $detail)\n";
    pop @messages;    # forget the question, so the next one can go on
    next;
  }
  my $reply = $tx->res->json('/choices/0/message');
  push @messages, {role => $reply->{role}, content => $reply->{content}};
  print "you: $line\nassistant: $reply->{content}\n";
}
printf "%d messages exchanged\n", @messages - 1;
