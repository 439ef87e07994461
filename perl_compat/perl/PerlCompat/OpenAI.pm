package PerlCompat::OpenAI;

# A stand-in for CPAN's OpenAPI::Client::OpenAI (0.26-0.28), which Debian does not
# package. It adds to OpenAPI::Client exactly what that module adds: the API key
# check, the Authorization and OpenAI-Beta headers set when each request starts,
# and the "file_upload" content generator. PerlCompat::Driver uses it only when
# the real module cannot be loaded, and says so in its peer() report.
#
# Not copied: the 0.28 snake_case aliases. Perl makes those only for the spec the
# distribution ships, which this stand-in has none of.

use strict;
use warnings;

use Mojo::Base 'OpenAPI::Client';
use Carp ();

our $VERSION = '0.01';

sub new {
  my ($class, $spec) = (shift, shift);
  my $attrs = @_ == 1 ? {%{$_[0]}} : {@_};

  # The key is read once, here: changing %ENV later changes nothing.
  Carp::croak('OPENAI_API_KEY environment variable must be set') unless $ENV{OPENAI_API_KEY};
  $spec //= _shipped_spec();

  my %headers = (Authorization => "Bearer $ENV{OPENAI_API_KEY}");
  $headers{'OpenAI-Beta'} = 'assistants=v2' if delete $attrs->{assistants};

  # OpenAPI::Client generates (once per spec) a subclass of *this* package and
  # blesses the object into it, so methods defined here stay reachable.
  my $self = $class->SUPER::new($spec, $attrs);

  # {file => $path, %fields} becomes multipart/form-data with the file attached by
  # path: Mojo's _form sees a hash value and switches to multipart.
  $self->ua->transactor->add_generator(
    file_upload => sub {
      my ($transactor, $tx, $data) = @_;
      return $transactor->_form($tx, {%$data, file => {file => $data->{file}}});
    }
  );

  # "start" fires after after_build_tx and just before the request is written, so
  # these headers replace whatever the caller set under the same names.
  $self->ua->on(
    start => sub {
      my ($ua, $tx) = @_;
      $tx->req->headers->header($_ => $headers{$_}) for keys %headers;
    }
  );

  return $self;
}

sub _shipped_spec {
  require File::ShareDir;
  return File::ShareDir::dist_file('OpenAPI-Client-OpenAI', 'openapi.yaml');
}

1;
