#!/usr/bin/env perl
# Embed every line of a text file, a few lines per request, and print one
# summary line per text: its number, the vector's length and first value.
#
#   perl embeddings_batch.pl FILE [BATCH_SIZE]
use strict;
use warnings;

use OpenAPI::Client::OpenAI;

binmode STDOUT, ':encoding(UTF-8)';

my $file       = shift // die "usage: $0 FILE [BATCH_SIZE]\n";
my $batch_size = shift // 3;
my $model      = 'text-embedding-3-small';

open my $in, '<:encoding(UTF-8)', $file or die "cannot read $file: $!\n";
chomp(my @texts = grep {/\S/} <$in>);
close $in;

my $client = OpenAPI::Client::OpenAI->new;
my ($requests, $tokens) = (0, 0);

while (my @batch = splice @texts, 0, $batch_size) {
  my $tx = $client->createEmbedding(
    {body => {model => $model, input => \@batch, encoding_format => 'float', dimensions => 256}});
  $requests++;
  if (my $err = $tx->error) {
    die sprintf "batch %d failed: %s\n", $requests, $tx->res->json('/error/message') // $err->{message};
  }
  my $result = $tx->res->json;
  for my $item (@{$result->{data}}) {
    my $vector = $item->{embedding};
    printf "batch %d item %d: %d dimensions, first %.6f (%s)\n", $requests, $item->{index}, scalar @$vector,
      $vector->[0] // 0, $batch[$item->{index}] // '?';
  }
  $tokens += $result->{usage}{total_tokens} // 0;
}
print "$requests requests, $tokens tokens\n";
