package MojoSurface;

# What Mojo::URL, Mojo::Headers and JSON::Validator say about the inputs the
# Python tests also give to openapi_client_openai's URL, Headers and SpecSchema.
# Each sub takes plain data and returns plain data (through perl_compat's JSON).

use strict;
use warnings;

use Mojo::Headers;
use Mojo::URL;
use OpenAPI::Client;

# The facts a program prints about a URL, read in a fixed order (the order
# matters: reading the path's segments turns a path kept as given into segments).
sub url_facts {
  my ($text) = @_;
  my $url = Mojo::URL->new($text);
  my %facts = (
    to_string        => $url->to_string,
    to_unsafe_string => $url->to_unsafe_string,
    scheme           => $url->scheme,
    protocol         => $url->protocol,
    userinfo         => $url->userinfo,
    username         => $url->username,
    password         => $url->password,
    host             => $url->host,
    ihost            => $url->ihost,
    port             => $url->port,
    host_port        => $url->host_port,
    fragment         => $url->fragment,
    is_abs           => $url->is_abs ? 1 : 0,
    path             => $url->path->to_string,
    query            => $url->query->to_string,
    path_query       => $url->path_query,
    query_hash       => $url->query->to_hash,
    query_names      => $url->query->names,
  );
  $facts{parts}           = [@{$url->path->parts}];
  $facts{leading_slash}   = $url->path->leading_slash ? 1 : 0;
  $facts{trailing_slash}  = $url->path->trailing_slash ? 1 : 0;
  $facts{path_parsed}     = $url->path->to_string;
  $facts{to_string_after} = $url->to_string;
  $facts{clone}           = $url->clone->to_string;
  return \%facts;
}

# Apply [method, args...] steps to Mojo::URL->new($text) and return to_string.
# Steps: path (string: merged), query (string, hash or array), host, port,
# scheme, userinfo, fragment, host_port, path_query, push (path segments),
# trailing_slash, leading_slash, canonicalize, param, append, merge, remove.
sub url_after {
  my ($text, $steps) = @_;
  my $url = Mojo::URL->new($text);
  for my $step (@$steps) {
    my ($name, @args) = @$step;
    if    ($name eq 'push')           { push @{$url->path}, @args }
    elsif ($name eq 'trailing_slash') { $url->path->trailing_slash(@args) }
    elsif ($name eq 'leading_slash')  { $url->path->leading_slash(@args) }
    elsif ($name eq 'canonicalize')   { $url->path->canonicalize }
    elsif ($name =~ /^(?:param|append|merge|remove)$/) { $url->query->$name(@args) }
    else                              { $url->$name(@args) }
  }
  return {to_string => $url->to_string, path => "@{[$url->path]}", query => "@{[$url->query]}"};
}

sub to_abs {
  my ($text, $base) = @_;
  return Mojo::URL->new($text)->to_abs(Mojo::URL->new($base))->to_string;
}

# Apply [method, args...] steps to a new Mojo::Headers; report what it prints.
sub headers_after {
  my ($steps, $asked) = @_;
  my $headers = Mojo::Headers->new;
  my @died;
  for my $step (@$steps) {
    my ($name, @args) = @$step;
    eval { $headers->$name(@args); 1 } or push @died, "$@" =~ s/ at \S+ line \d+.*//sr;
  }
  return {
    to_string         => $headers->to_string,
    names             => $headers->names,
    to_hash           => $headers->to_hash,
    to_hash_multi     => $headers->to_hash(1),
    header            => {map { ($_ => $headers->header($_)) } @$asked},
    every_header      => {map { ($_ => $headers->every_header($_)) } @$asked},
    is_finished       => $headers->is_finished ? 1 : 0,
    is_limit_exceeded => $headers->is_limit_exceeded ? 1 : 0,
    leftovers         => $headers->leftovers,
    died              => \@died,
  };
}

# What $client->validator answers: get() for each pointer, routes, base_url.
sub validator_facts {
  my ($spec, $pointers) = @_;
  my $validator = OpenAPI::Client->new($spec)->validator;
  return {
    get      => [map { scalar $validator->get($_) } @$pointers],
    paths    => [map { my $p = $_; scalar $validator->get($p, sub { $_[1] }) } @$pointers],
    routes   => [$validator->routes->each],
    base_url => $validator->base_url->to_string,
    moniker  => $validator->moniker,
    bundle   => $validator->bundle->data,
  };
}

1;
