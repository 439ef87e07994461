package PerlCompat::Driver;

# Drive the Perl OpenAI client with plain data, so Python can ask it to make a
# call and read back, byte for byte, what Perl put on the wire and what came back.
# Every sub takes one hash ref and returns plain data (hashes, arrays, strings,
# numbers, JSON booleans): the same subs serve the embedded interpreter
# (perl_compat.interpreter) and the JSON-lines subprocess (driver.pl).

use strict;
use warnings;

use Mojo::JSON ();
use MIME::Base64 ();
use Scalar::Util ();
use Carp ();
use Time::HiRes ();
use OpenAPI::Client;

our $VERSION = '0.01';

my (%CLIENTS, $NEXT_ID);

# The real OpenAPI::Client::OpenAI when installed, else our shim. Decided once.
my $CLIENT_CLASS;

sub client_class {
  return $CLIENT_CLASS if $CLIENT_CLASS;
  if (eval { require OpenAPI::Client::OpenAI; 1 }) {
    $CLIENT_CLASS = 'OpenAPI::Client::OpenAI';
  }
  else {
    require PerlCompat::OpenAI;
    $CLIENT_CLASS = 'PerlCompat::OpenAI';
  }
  return $CLIENT_CLASS;
}

# Which Perl peer runs, in words fit for a report.
sub peer {
  my $class = client_class();
  my $which
    = $class eq 'OpenAPI::Client::OpenAI'
    ? "OpenAPI::Client::OpenAI $OpenAPI::Client::OpenAI::VERSION"
    : "PerlCompat::OpenAI shim over OpenAPI::Client $OpenAPI::Client::VERSION";
  require Mojolicious;
  require JSON::Validator;
  return {
    which    => $which,
    real     => $class eq 'OpenAPI::Client::OpenAI' ? Mojo::JSON::true : Mojo::JSON::false,
    versions => {
      'OpenAPI::Client' => "$OpenAPI::Client::VERSION",
      'Mojolicious'     => "$Mojolicious::VERSION",
      'JSON::Validator' => "$JSON::Validator::VERSION",
      'perl'            => sprintf('%vd', $^V),
    },
  };
}

# new_client({spec, base_url?, assistants?, api_key?, coerce?, class?, ua?, proxy_detect?, env_b64?})
#   -> {client, which, base_url}
#
# api_key, when the key is present, stands in for $ENV{OPENAI_API_KEY} during
# construction (null: the variable is unset), because an embedded perl copied
# %ENV when it started and would not see later changes made by Python.
# coerce only takes effect for the first client of a given spec in this process:
# OpenAPI::Client generates the class, and its validator, once per spec.
#
# For the fault-conformance suite (tests/faults):
# * class: "OpenAPI::Client" for a plain client (no OpenAI layer), else the OpenAI one;
# * env_b64: {NAME => base64 bytes, or null to unset}, in force while the client is
#   made and during each of its calls (Mojo reads MOJO_* lazily, at call time), as
#   the environment's bytes, exactly;
# * ua: {attribute => value} set on $client->ua as given (strings stay strings:
#   "inf", "nan" and "abc" reach Mojo as a Perl program would hand them over);
# * proxy_detect: $client->ua->proxy->detect, under that environment.
sub new_client {
  my ($args) = @_;
  my $class = client_class();
  if (defined $args->{class}) {
    $args->{class} eq 'OpenAPI::Client' or $args->{class} eq $class
      or return {died => "PerlCompat::Driver: class must be OpenAPI::Client or $class\n"};
    $class = $args->{class};
  }
  my %attrs;
  $attrs{base_url}   = $args->{base_url} if defined $args->{base_url};
  $attrs{assistants} = 1                 if $args->{assistants} && $class ne 'OpenAPI::Client';
  $attrs{coerce}     = $args->{coerce}   if defined $args->{coerce};

  my $env = _env($args->{env_b64});
  local %ENV = %ENV;
  _apply_env($env);
  if (exists $args->{api_key} && !($env && exists $env->{OPENAI_API_KEY})) {
    if (defined $args->{api_key}) { $ENV{OPENAI_API_KEY} = $args->{api_key} }
    else                          { delete $ENV{OPENAI_API_KEY} }
  }

  my $client = $class->new($args->{spec}, %attrs);
  my $state  = {client => $client, started => undef, env => $env};
  my $ua     = $client->ua;
  for my $name (sort keys %{$args->{ua} // {}}) {
    $ua->can($name) or return {died => "PerlCompat::Driver: Mojo::UserAgent has no $name\n"};
    $ua->$name($args->{ua}{$name});
  }
  $ua->proxy->detect if $args->{proxy_detect};

  # Registered after the OpenAI layer's own "start" listener, so it runs after the
  # Authorization header is set; it only notes that the request really went out.
  Scalar::Util::weaken(my $weak = $state);
  $ua->on(start => sub { $weak->{started} = Scalar::Util::refaddr($_[1]) if $weak });

  my $id = ++$NEXT_ID;
  $CLIENTS{$id} = $state;
  return {client => $id, which => peer()->{which}, base_url => $client->base_url->to_string};
}

# {NAME => base64 or null} -> {NAME => bytes or undef}; undef when none given.
sub _env {
  my ($given) = @_;
  return undef unless $given;
  return {map { ($_ => defined $given->{$_} ? MIME::Base64::decode_base64($given->{$_}) : undef) } keys %$given};
}

sub _apply_env {
  my ($env) = @_;
  return unless $env;
  for my $name (keys %$env) {
    if (defined $env->{$name}) { $ENV{$name} = $env->{$name} }
    else                       { delete $ENV{$name} }
  }
}

# port_scan({source, name}) -> what PerlCompat::Port reads in one Perl file (PPI
# is loaded on first use: the client comparison never needs it).
sub port_scan {
  my ($args) = @_;
  require PerlCompat::Port;
  return PerlCompat::Port::scan($args);
}

sub free_client {
  my ($args) = @_;
  return delete $CLIENTS{$args->{client} // ''} ? Mojo::JSON::true : Mojo::JSON::false;
}

# call({client, op, params, content, read?}) -> {req, res, error, sent, params_after, read?}
#                                             or {died => $message}
#
# content holds the content generators by name (json, form, multipart,
# file_upload, ...); "body_b64" is the raw body ("body" generator) as base64, so
# that bytes cross JSON intact. The call is blocking, or with nonblocking => 1 the callback form run on
# Mojo::IOLoop until it is called back: either way the transaction is complete (or
# failed) when it returns. elapsed is the call's wall-clock time in seconds;
# res->text is reported too (the body decoded with its declared charset).
#
# With read => 1 the body is streamed the Mojo way, as a Perl program streams it:
# in after_build_tx, $tx->res->content->unsubscribe('read')->on(read => sub {...}).
# Nothing is buffered then (res's body is empty); "read" holds every piece the
# handler got, in order (base64), and when the first non-empty one came
# (Time::HiRes::time, for latency figures).
sub call {
  my ($args) = @_;
  my $state = $CLIENTS{$args->{client} // ''} or return {died => "PerlCompat::Driver: no client " . ($args->{client} // "given") . "\n"};
  my $client  = $state->{client};
  my $params  = $args->{params} // {};
  my %content = %{$args->{content} // {}};
  $content{body} = MIME::Base64::decode_base64(delete $content{body_b64}) if exists $content{body_b64};

  my ($reader, @pieces, $first_at);
  if ($args->{read}) {
    $reader = $client->on(
      after_build_tx => sub {
        my ($c, $tx) = @_;
        $tx->res->content->unsubscribe('read')->on(
          read => sub {
            my ($content, $bytes) = @_;
            $first_at //= Time::HiRes::time() if length $bytes;
            push @pieces, $bytes;
          }
        );
      }
    );
  }

  local %ENV = %ENV;
  _apply_env($state->{env});
  $state->{started} = undef;
  my ($tx, $started) = (undef, [Time::HiRes::gettimeofday()]);
  my $ok = eval {
    if ($args->{nonblocking}) {
      require Mojo::IOLoop;
      $client->call($args->{op}, $params, %content, sub { $tx = $_[1]; Mojo::IOLoop->stop });
      Mojo::IOLoop->start;
    }
    else {
      $tx = $client->call($args->{op}, $params, %content);
    }
    1;
  };
  my $error   = $@;
  my $elapsed = Time::HiRes::tv_interval($started);
  $client->unsubscribe(after_build_tx => $reader) if $reader;
  return {died => _text($error), elapsed => $elapsed} unless $ok;

  my $sent = defined $state->{started} && $state->{started} == Scalar::Util::refaddr($tx);
  return {
    # $tx->req->method is as Perl reports it: the spec's lower-case key for a
    # request that was sent, upper case for the unsent 400 of invalid input.
    req => _message(
      $tx->req,
      method => $tx->req->method,
      url    => $tx->req->url->to_string,
      env    => {operationId => $tx->req->env->{operationId}},
    ),
    res => _message(
      $tx->res,
      code    => _number($tx->res->code),
      message => $tx->res->message,
      text    => scalar eval { $tx->res->text },
    ),
    error   => _error($tx->error),
    sent    => $sent ? Mojo::JSON::true : Mojo::JSON::false,
    elapsed => $elapsed,

    # OpenAPI::Client coerces the caller's params in place; this is what the
    # caller's hash holds afterwards (Python deliberately leaves its copy alone).
    params_after => $params,
    $reader ? (read => {pieces_b64 => [map { MIME::Base64::encode_base64($_, '') } @pieces], first_at => $first_at}) : (),
  };
}

# build({client, op, params, content}) -> {req, res, error, sent, valid}
#                                       or {died => $message}
#
# What call() would send, without sending it: OpenAPI::Client's own _build_tx
# (validation included), then, for a valid request, the user agent's "start"
# event, which is where the OpenAI layer adds its headers; Mojo emits it just
# before writing the request, and nothing here writes it. For shadow calls.
sub build {
  my ($args) = @_;
  my $state = $CLIENTS{$args->{client} // ''} or return {died => "PerlCompat::Driver: no client " . ($args->{client} // "given") . "\n"};
  my $client  = $state->{client};
  my $params  = $args->{params} // {};
  my %content = %{$args->{content} // {}};
  $content{body} = MIME::Base64::decode_base64(delete $content{body_b64}) if exists $content{body_b64};

  my $tx;
  eval {
    my $route = _route($client, $args->{op} // '') or Carp::croak('[OpenAPI::Client] No such operationId');
    $tx = $client->_build_tx($route, $params, %content);
    $client->ua->emit(start => $tx) unless $tx->error;
    1;
  } or return {died => _text($@)};

  return {
    req => _message(
      $tx->req,
      method => $tx->req->method,
      url    => $tx->req->url->to_string,
      env    => {operationId => $tx->req->env->{operationId}},
    ),
    res   => _message($tx->res, code => _number($tx->res->code), message => $tx->res->message),
    error => _error($tx->error),
    sent  => Mojo::JSON::false,
    valid => $tx->error ? Mojo::JSON::false : Mojo::JSON::true,
  };
}

# The route OpenAPI::Client generated a method for, by operationId: the same
# hash its generated method closes over.
my %ROUTES;

sub _route {
  my ($client, $op) = @_;
  my $routes = $ROUTES{ref $client} //= {map { ($_->{operation_id} => $_) } grep { $_->{operation_id} } $client->validator->routes->each};
  return $routes->{$op};
}

sub _message {
  my ($message, %fields) = @_;

  # The body first: building multipart content adds its boundary to Content-Type.
  my $body    = MIME::Base64::encode_base64(_body($message), '');
  my $headers = $message->headers;
  return {
    %fields,
    headers  => [map { my $name = $_; map { [$name, $_] } @{$headers->every_header($name)} } @{$headers->names}],
    body_b64 => $body,
  };
}

# The body bytes as written: Mojo's "body" is empty for multipart content, whose
# parts (files included) are only put together by build_body.
sub _body {
  my ($message) = @_;
  return $message->content->is_multipart ? $message->build_body : $message->body;
}

# Mojo keeps a status code as the text of the status line ("200"): JSON gets a number.
sub _number { defined $_[0] ? 0 + $_[0] : undef }

sub _error {
  my ($error) = @_;
  return undef unless $error;
  return {%$error, exists $error->{code} ? (code => _number($error->{code})) : ()};
}

sub _text {
  my ($error) = @_;
  my $text = eval { defined $error ? "$error" : 'Died' };
  return defined $text ? $text : "PerlCompat::Driver: the error could not be stringified\n";
}

1;
