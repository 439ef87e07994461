#!/usr/bin/env perl
# Our own program for the port tests: every construct `port scan` must read.
# A comment "#> ..." marks what the scan must find on its line.
use strict;
use warnings;
use utf8;
use OpenAPI::Client::OpenAI;
use Mojo::JSON qw(true false);

my $client = OpenAPI::Client::OpenAI->new(undef, assistants => 1);    #> client OpenAPI::Client::OpenAI $client
$client->ua->inactivity_timeout(600);                                  #> idiom $client->ua->inactivity_timeout(SECONDS)
$client->base_url->host('127.0.0.1');                                  #> idiom $client->base_url->host(HOST)

# A plain call with a literal hash; its result used through a variable.
my $tx = $client->getRun({thread_id => 'thread_abc123', run_id => 'run_abc123'});    #> call getRun literal
print $tx->res->json('/id'), "\n";                                                  #> idiom $tx->res->json(POINTER)
my $dom = $tx->res->dom;                                                            #> idiom $tx->res->dom
my $status = $tx->res->code;                                                        #> idiom $tx->res->code

# The snake_case alias, a chain on the result, subscripts into the data.
my $first = $client->list_runs({thread_id => 'thread_abc123', limit => 2, order => 'desc'})    #> call listRuns literal
  ->res->json->{data}[0]{id};

# Nested data, qw(), heredocs, numbers and booleans, comments in the middle.
my $run = $client->createRun(    #> call createRun literal
  {
    thread_id   => 'thread_abc123',
    'include[]' => [qw(step_details.tool_calls[*].file_search.results[*].content)],
    # a comment inside the hash
    body => {
      assistant_id => 'asst_abc123',
      instructions => <<~'EOT',
        Answer in one line; $nothing is interpolated here.
          Keep the indentation beyond the margin.
        EOT

      additional_instructions => <<"EOT",
Be kind: \x{263A}\tand brief.
EOT
      temperature         => 0.5,
      top_p               => 1,
      max_prompt_tokens   => 1_000,
      stream              => false,
      parallel_tool_calls => \1,
      tools               => [{type => 'code_interpreter'}, {type => 'file_search'}],
      truncation_strategy => {type => 'last_messages', last_messages => 10},
      metadata            => {source => "port-test", 'tier' => 'gold', empty => ''},
      response_format     => undef,
    },
  }
);

=pod

POD in the middle of the program is only documentation:

  $client->getRun({thread_id => 'in', run_id => 'pod'});

=cut

# Variables, an interpolated string, a reference to a list, a hash spread.
my ($thread, $n) = ('thread_abc123', 7);
my @steps    = ('step_details.tool_calls[*].file_search.results[*].content');
my %defaults = (thread_id => $thread);
$client->modifyRun({thread_id => $thread, run_id => "run_$n", body => {metadata => {user => "user ${n}"}}});    #> call modifyRun
$client->listRunSteps({thread_id => $thread, run_id => 'run_abc123', 'include[]' => \@steps});                 #> call listRunSteps
$client->listRuns({%defaults, limit => 1});                                                                    #> call listRuns

# Promises: the _p form and call_p, with then/catch/wait on the result.
$client->getRun_p({thread_id => 'thread_abc123', run_id => 'run_abc123'})    #> call getRun promise literal subs
  ->then(sub { my $tx = shift; print $tx->res->code, "\n" })                 #> idiom $promise->then(CALLBACK)
  ->catch(sub { my $error = shift; warn $error })                            #> idiom $promise->catch(CALLBACK)
  ->wait;
my $promise = $client->call_p(listRunSteps => {thread_id => 'thread_abc123', run_id => 'run_abc123'});    #> call listRunSteps promise literal
$promise->wait;                                                                                            #> idiom $promise->wait

# call with a literal name, and the callback form.
$client->call(cancelRun => {thread_id => 'thread_abc123', run_id => 'run_abc123'});    #> call cancelRun literal
$client->call('getRunStep', {thread_id => 'thread_abc123', run_id => 'run_abc123', step_id => 'step_abc123'});    #> call getRunStep literal
$client->getRun({thread_id => 'thread_abc123', run_id => 'run_abc123'}, sub {    #> call getRun callback literal
  my ($c, $tx) = @_;
  print $tx->res->message, "\n";    #> idiom $tx->res->message
});

# Chosen at run time: flagged, never guessed.
for my $op (qw(getRun cancelRun)) {
  $client->$op({thread_id => 'thread_abc123', run_id => 'run_abc123'});    #> call dynamic
  $client->call($op => {thread_id => 'thread_abc123', run_id => 'run_abc123'});    #> call dynamic
}

# A content generator, and an operation this spec does not have.
$client->createThreadAndRun({}, json => {assistant_id => 'asst_abc123', stream => Mojo::JSON::false});    #> call createThreadAndRun literal
$client->createEdit({body => {model => 'text-davinci-edit-001', input => 'x', instruction => 'y'}});    #> call createEdit literal
my $error = $client->cancelRun({thread_id => 'thread_abc123', run_id => 'run_abc123'})->error;    #> call cancelRun literal

__END__

Nothing after __END__ is code:

$client->getRun({thread_id => 'never', run_id => 'counted'});
