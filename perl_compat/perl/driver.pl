#!/usr/bin/env perl
# The subprocess side of perl_compat.bridge: PerlCompat::Driver over JSON lines.
#
#   in  (stdin):  {"id":N,"method":"new_client"|"call"|"build"|"free_client"|"peer"|"port_scan","args":{...}}
#   out (stdout): {"id":N,"result":...}  or  {"id":N,"error":"..."}
#
# One line in, one line out, flushed; the driver ends at EOF. Anything else the
# Perl code prints goes to stderr, so it can never corrupt the protocol.

use strict;
use warnings;

# Must be in place before any module that could call exit() is compiled:
# CORE::GLOBAL::exit is bound at compile time. A stray exit becomes a die, which
# the request loop turns into an error reply instead of a silently ended driver.
BEGIN {
  *CORE::GLOBAL::exit = sub (;$) { die sprintf "exit(%d) called\n", @_ ? $_[0] : 0 };
}

use FindBin ();
use lib $FindBin::RealBin;

use Cpanel::JSON::XS ();
use IO::Handle ();
use PerlCompat::Driver;

# Keep the protocol on a private duplicate of stdout; plain prints go to stderr.
open my $PROTOCOL, '>&', \*STDOUT or die "cannot dup stdout: $!\n";
open STDOUT, '>&', \*STDERR or die "cannot redirect stdout: $!\n";
$PROTOCOL->autoflush(1);
STDOUT->autoflush(1);
STDERR->autoflush(1);
binmode STDIN;
binmode $PROTOCOL;

my $JSON = Cpanel::JSON::XS->new->utf8->canonical->allow_nonref->allow_blessed->convert_blessed;

my %METHODS = (
  new_client  => \&PerlCompat::Driver::new_client,
  call        => \&PerlCompat::Driver::call,
  build       => \&PerlCompat::Driver::build,
  free_client => \&PerlCompat::Driver::free_client,
  peer        => \&PerlCompat::Driver::peer,
  port_scan   => \&PerlCompat::Driver::port_scan,
);

while (defined(my $line = <STDIN>)) {
  next unless $line =~ /\S/;
  my ($id, $reply);
  my $ok = eval {
    my $request = $JSON->decode($line);
    $id = $request->{id};
    my $method = $METHODS{$request->{method} // ''} or die "unknown method: @{[$request->{method} // 'none']}\n";
    $reply = {id => $id, result => $method->($request->{args} // {})};
    1;
  };
  $reply = {id => $id, error => PerlCompat::Driver::_text($@)} unless $ok;
  my $out = eval { $JSON->encode($reply) } // $JSON->encode({id => $id, error => 'cannot encode the result: ' . PerlCompat::Driver::_text($@)});
  print {$PROTOCOL} $out, "\n";
}
