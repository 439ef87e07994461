package MisbehavingDriver;

# Loaded with -M before driver.pl, to prove the bridge survives Perl code that
# misbehaves inside a call. It wraps PerlCompat::Driver::call; operation names
# pick the misbehaviour:
#
#   perl_exit  user code calls exit(3): driver.pl's CORE::GLOBAL::exit turns it
#              into a die (the code is compiled by a string eval at call time,
#              after driver.pl installed the override, as user code would be)
#   core_exit  CORE::exit(4): nothing can stop that, the driver process ends
#   hang       never answers
#   noise      prints to STDOUT first, which must not reach the protocol
#
# Anything else is passed to the real call().

use strict;
use warnings;

require PerlCompat::Driver;

my $real_call = \&PerlCompat::Driver::call;

my %misbehaviour = (
  perl_exit => sub { my $code = eval q{ sub { exit(3) } } or die $@; $code->() },
  core_exit => sub { CORE::exit(4) },
  hang      => sub { sleep 1 while 1 },
  noise     => sub { print "not JSON at all\n"; return $real_call->(@_) },
);

{
  no warnings 'redefine';
  *PerlCompat::Driver::call = sub {
    my ($args) = @_;
    my $special = $misbehaviour{$args->{op} // ''};
    return $special ? $special->({%$args, op => 'getRun'}) : $real_call->($args);
  };
}

1;
