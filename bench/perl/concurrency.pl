# N concurrent getRun_p calls, then Mojo::Promise->all(@p)->wait: wall and CPU time, as JSON.
#
#   perl -I perl_compat/perl bench/perl/concurrency.pl CLASS SPEC BASE_URL N [N ...]
#
# The Perl side of bench/probes/concurrency.py: the same calls, the same shape of report.
use strict;
use warnings;
use Mojo::JSON qw(encode_json);
use Mojo::Promise;
use Time::HiRes qw(time);

my ($class, $spec, $base_url, @counts) = @ARGV;
eval "require $class; 1" or die $@;
my $client = $class->new($spec, base_url => "$base_url/v1");
$client->getRun_p({thread_id => 'thread_abc123', run_id => 'warm-up'})->wait;

sub cpu { my @t = times; return $t[0] + $t[1] }

my %report;
for my $n (@counts) {
  my ($started, $cpu_started) = (time, cpu());
  my @promises = map { $client->getRun_p({thread_id => 'thread_abc123', run_id => "run_$_"}) } 1 .. $n;
  my @results;
  Mojo::Promise->all(@promises)->then(sub { @results = @_ })->wait;
  my ($wall, $used) = (time - $started, cpu() - $cpu_started);
  die "only " . scalar(@results) . " of $n answered\n" unless @results == $n;
  die "a call failed\n" if grep { ($_->[0]->res->code // 0) != 200 } @results;
  $report{$n} = {wall => $wall, cpu => $used};
}
print encode_json(\%report), "\n";
