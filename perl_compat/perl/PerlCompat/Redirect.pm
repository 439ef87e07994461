package PerlCompat::Redirect;

# Loaded into an unmodified Perl program by perl_compat's compare-run, record and
# replay, through the environment:
#
#   PERL5LIB=.../perl_compat/perl  PERL5OPT=-MPerlCompat::Redirect
#   OPENAPI_CLIENT_OPENAI_BASE_URL=http://127.0.0.1:PORT/v1
#
# so that the program talks to the local server without a line of it changing:
#
# * every OpenAPI::Client (OpenAPI::Client::OpenAI included) the program creates
#   gets OPENAPI_CLIENT_OPENAI_BASE_URL as its base_url, whatever it was given;
#   the Python client reads the same variable for the same purpose;
# * with OPENAI_OPENAPI_SPEC set, that file stands for the spec the
#   OpenAPI-Client-OpenAI distribution ships (File::ShareDir's dist_file), which
#   is where the Python client's discovery looks first too;
# * where CPAN's OpenAPI::Client::OpenAI is not installed (Debian does not package
#   it), "use OpenAPI::Client::OpenAI" loads our stand-in, PerlCompat::OpenAI.
#
# It changes nothing else, and nothing at all in a perl that never loads
# OpenAPI::Client (PERL5OPT reaches every perl the program starts).

use strict;
use warnings;

our $VERSION = '0.01';

my $BASE_URL = $ENV{OPENAPI_CLIENT_OPENAI_BASE_URL};
my $SPEC     = $ENV{OPENAI_OPENAPI_SPEC};

# Last in @INC: consulted only when no directory has OpenAPI/Client/OpenAI.pm.
push @INC, sub {
  my (undef, $file) = @_;
  return unless $file eq 'OpenAPI/Client/OpenAI.pm';
  my $source = <<'PERL';
package OpenAPI::Client::OpenAI;
use Mojo::Base 'PerlCompat::OpenAI';
our $VERSION = '0.00_perl_compat_stand_in';
1;
PERL
  open my $fh, '<', \$source or return;
  return $fh;
};

# Before the OpenAI module is compiled, so its imported dist_file is this one.
if (defined $SPEC and length $SPEC and eval { require File::ShareDir; 1 }) {
  no warnings 'redefine';
  my $dist_file = \&File::ShareDir::dist_file;
  *File::ShareDir::dist_file = sub {
    return $SPEC if @_ == 2 and $_[0] eq 'OpenAPI-Client-OpenAI' and $_[1] eq 'openapi.yaml';
    goto &$dist_file;
  };
}

if (defined $BASE_URL and length $BASE_URL and eval { require OpenAPI::Client; 1 }) {
  require Mojo::URL;
  no warnings 'redefine';
  my $new = \&OpenAPI::Client::new;
  *OpenAPI::Client::new = sub {
    my $self = $new->(@_);
    $self->base_url(Mojo::URL->new($BASE_URL));
    return $self;
  };
}

1;
