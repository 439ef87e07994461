package Acme::Runs;

# Our own Moo-style module for the port tests: clients kept in attributes and
# accessors, calls made on what the accessors return.

use strict;
use warnings;
use Moo;
use OpenAPI::Client::OpenAI;

has _client => (is => 'ro', default => sub { OpenAPI::Client::OpenAI->new });    #> client OpenAPI::Client::OpenAI ->_client
has spec    => (is => 'ro');
has legacy  => (is => 'lazy');

sub openai {
  my $self = shift;
  $self->{openai} //= OpenAPI::Client->new($self->spec, base_url => 'http://127.0.0.1:3000/v1');    #> client OpenAPI::Client $self->{openai}
}

sub _build_legacy { new OpenAPI::Client::OpenAI() }    #> client OpenAPI::Client::OpenAI ->_build_legacy

sub latest_run {
  my ($self, $thread) = @_;
  return $self->_client->listRuns({thread_id => $thread, limit => 1})->res->json('/data/0');    #> call listRuns
}

sub cancel {
  my ($self, %args) = @_;
  my $tx = $self->openai->cancelRun({%args});    #> call cancelRun
  die $tx->error->{message} if $tx->error;       #> idiom $tx->error
  return $tx->result->json;                      #> idiom $tx->result
}

sub step {
  my $self = shift;
  return $self->legacy->getRunStep({thread_id => 'thread_abc123', run_id => 'run_abc123', step_id => 'step_abc123'});    #> call getRunStep literal
}

sub getRun {    # our own method of that name: $self->getRun is not the client's
  my ($self, @args) = @_;
  return $self->_client->getRun(@args);    #> call getRun
}

1;

__DATA__
$client->listRuns({thread_id => 'data section, not code'});
