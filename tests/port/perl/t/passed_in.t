use strict;
use warnings;
use Test::More;
use OpenAPI::Client::OpenAI;

# A client made elsewhere and passed in: the receiver cannot be traced, but the
# method is an operation of the spec, so the call is listed as untraced.
sub check_runs {
  my ($openai) = @_;
  my $tx = $openai->listRuns({thread_id => 'thread_abc123'});    #> call listRuns untraced literal
  is $tx->res->code, 200;                                        #> idiom $tx->res->code
  my $other = $openai->fetch_runs({thread_id => 'thread_abc123'});    # not an operation name: not listed
  return $tx;
}

sub wrapper {
  my ($self) = @_;
  return $self->getRun({thread_id => 'x', run_id => 'y'});    # a method on $self: not listed
}

done_testing;
