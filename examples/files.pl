#!/usr/bin/env perl
# Upload a file for the assistants, list the files of that purpose, then delete
# the one just uploaded.
#
#   perl files.pl PATH [PURPOSE]
use strict;
use warnings;

use OpenAPI::Client::OpenAI;

my $path    = shift // die "usage: $0 PATH [PURPOSE]\n";
my $purpose = shift // 'assistants';
-r $path or die "cannot read $path\n";

my $client = OpenAPI::Client::OpenAI->new;

my $tx = $client->createFile({}, file_upload => {file => $path, purpose => $purpose});
die 'upload failed: ' . ($tx->res->json('/error/message') // $tx->error->{message}) . "\n" if $tx->error;
my $file = $tx->res->json;
printf "uploaded %s as %s (%d bytes, %s)\n", $path, $file->{id}, $file->{bytes}, $file->{status};

$tx = $client->listFiles({purpose => $purpose, limit => 100, order => 'desc'});
die 'list failed: ' . $tx->error->{message} . "\n" if $tx->error;
my $files = $tx->res->json('/data');
printf "%d file(s) for %s:\n", scalar @$files, $purpose;
printf "  %-24s %10d  %s\n", $_->{id}, $_->{bytes}, $_->{filename} for @$files;

$tx = $client->deleteFile({file_id => $file->{id}});
if ($tx->error) {
  print "could not delete $file->{id}: ", $tx->error->{message}, "\n";
  exit 1;
}
print $tx->res->json('/deleted') ? "deleted $file->{id}\n" : "$file->{id} was not deleted\n";
