#!/usr/bin/env perl
# No OpenAI client here: a Mojo::UserAgent of its own is not one.
use strict;
use warnings;
use Mojo::UserAgent;
my $ua = Mojo::UserAgent->new;
my $res = $ua->get('http://127.0.0.1:1/')->result;
print $res->code, "\n";
