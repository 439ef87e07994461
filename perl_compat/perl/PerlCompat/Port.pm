package PerlCompat::Port;

# First, before any lexical of this file exists: the string sees none of them.
sub _compile_string {
  no strict;
  no warnings;
  local $@;
  my $value = eval "qq\0$_[0]\0";
  return $@ ? undef : $value;
}

# Read Perl source with PPI (it parses without running anything) and hand back, as
# plain data, what a port needs to know: the modules used, and every method-call
# chain ($client->getRun({...})->res->json, OpenAPI::Client::OpenAI->new(...)),
# with its arguments turned into data where they are literals (hashes, arrays,
# strings, numbers, undef, JSON booleans, qw()) and described where they are not
# (variables, references, interpolated strings, anonymous subs, expressions).
#
# Deciding which chains are OpenAI calls is the Python side's job
# (perl_compat/port/scan.py): this module only reads Perl, which only Perl can do
# reliably. Nothing here runs the code it reads: the escapes of a string that
# interpolates nothing are decoded by compiling that string alone.

use strict;
use warnings;

use PPI ();

our $VERSION = '0.01';

my %DECLARATORS = map { $_ => 1 } qw(my our local state field);
my %ASSIGNMENTS = map { $_ => 1 } ('=', '//=', '||=');
my %JSON_BOOLEANS = (
  'Mojo::JSON::true'        => 1, 'Mojo::JSON::false'        => 0,
  'JSON::PP::true'          => 1, 'JSON::PP::false'          => 0,
  'JSON::true'              => 1, 'JSON::false'              => 0,
  'Types::Serialiser::true' => 1, 'Types::Serialiser::false' => 0,
  'Cpanel::JSON::XS::true'  => 1, 'Cpanel::JSON::XS::false'  => 0,
  'builtin::true'           => 1, 'builtin::false'           => 0,
  'true'                    => 1, 'false'                    => 0,
);
my %BOOLEAN_CLASSES = map { $_ => 1 } qw(Mojo::JSON JSON::PP JSON Types::Serialiser Cpanel::JSON::XS);

# scan({source => $text, name => $file}) -> {uses, utf8, chains, subs} or {error}
sub scan {
  my ($args) = @_;
  my $source = $args->{source} // '';
  my $doc    = PPI::Document->new(\$source);
  unless ($doc) {
    my $why = PPI::Document->errstr || 'PPI could not parse it';
    return {error => "$why"};
  }
  $doc->index_locations;

  my @uses;
  for my $include (@{$doc->find('PPI::Statement::Include') || []}) {
    my $module = $include->module;
    push @uses, {type => $include->type, module => $module, line => $include->line_number} if defined $module;
  }

  my @subs = grep {defined} map { $_->name } @{$doc->find('PPI::Statement::Sub') || []};

  my @chains;
  for my $statement ($doc, @{$doc->find('PPI::Statement') || []}) {
    next if $statement->isa('PPI::Statement::End') || $statement->isa('PPI::Statement::Data');
    push @chains, _chains_in($statement);
  }
  @chains = sort { $a->{line} <=> $b->{line} || $a->{col} <=> $b->{col} } @chains;

  return {
    uses   => \@uses,
    utf8   => (grep { $_->{module} eq 'utf8' && $_->{type} eq 'use' } @uses) ? _true() : _false(),
    chains => \@chains,
    subs   => \@subs,
  };
}

sub _true  { require Mojo::JSON; Mojo::JSON::true() }
sub _false { require Mojo::JSON; Mojo::JSON::false() }

# -- chains -------------------------------------------------------------------

sub _is_op { my ($token, $op) = @_; $token && $token->isa('PPI::Token::Operator') && $token->content eq $op }

# Every chain that starts among this node's own children (nested nodes are visited
# on their own by scan()).
sub _chains_in {
  my ($node) = @_;
  my @c = $node->schildren;
  my @found;
  my $i = 0;
  while ($i < @c) {
    my ($chain, $next) = _read_chain(\@c, $i);
    if ($chain && grep { $_->{k} ne 'subscript' } @{$chain->{links}}) {
      _locate($chain, $node, \@c, $i, $next);
      push @found, $chain;
      $i = $next;
      next;
    }
    $i++;
  }
  return @found;
}

# A chain starting at $c->[$i]: a base (variable, class name, ...) followed by
# ->method(...), ->$method(...), ->{...}/->[...] and bare subscripts. Also Perl's
# indirect object syntax for constructors: new Class(...).
sub _read_chain {
  my ($c, $i) = @_;
  my $base = $c->[$i];
  return if $i > 0 && _is_op($c->[$i - 1], '->');

  if ($base->isa('PPI::Token::Word') && $base->content eq 'new' && $c->[$i + 1] && $c->[$i + 1]->isa('PPI::Token::Word')
    && $c->[$i + 1]->content =~ /::/)
  {
    my $class = $c->[$i + 1];
    my $j     = $i + 2;
    my $args;
    if ($c->[$j] && $c->[$j]->isa('PPI::Structure::List')) { $args = _list_items($c->[$j]); $j++ }
    my $chain = {
      base  => {t => 'word', text => $class->content},
      links => [{k => 'method', name => 'new', args => $args, line => $base->line_number, indirect => _true()}],
    };
    return _more_links($chain, $c, $j);
  }

  my $base_value;
  if ($base->isa('PPI::Token::Symbol')) {
    $base_value = _symbol($base);
  }
  elsif ($base->isa('PPI::Token::Word')) {
    return unless _is_op($c->[$i + 1], '->');
    $base_value = {t => 'word', text => $base->content};
  }
  else {
    return;
  }
  my $chain = {base => $base_value, links => []};
  return _more_links($chain, $c, $i + 1);
}

sub _more_links {
  my ($chain, $c, $j) = @_;
  my $links = $chain->{links};
  while ($j < @$c) {
    my $here = $c->[$j];
    if ($here->isa('PPI::Structure::Subscript') && (@$links || $chain->{base}{t} eq 'var')) {
      push @$links, _subscript($here);
      $j++;
      next;
    }
    last unless _is_op($here, '->');
    my $after = $c->[$j + 1] or last;
    if ($after->isa('PPI::Token::Word') || $after->isa('PPI::Token::Symbol')) {
      my $dynamic = $after->isa('PPI::Token::Symbol');
      my $link    = {
        k    => $dynamic ? 'dynamic' : 'method',
        name => $after->content,
        line => $after->line_number,
        args => undef,
      };
      $j += 2;
      if ($c->[$j] && $c->[$j]->isa('PPI::Structure::List')) {
        $link->{args} = _list_items($c->[$j]);
        $j++;
      }
      push @$links, $link;
    }
    elsif ($after->isa('PPI::Structure::Subscript')) {
      push @$links, _subscript($after);
      $j += 2;
    }
    elsif ($after->isa('PPI::Structure::List')) {
      push @$links, {k => 'code', args => _list_items($after), line => $after->line_number};
      $j += 2;
    }
    else {
      last;
    }
  }
  return ($chain, $j);
}

sub _subscript {
  my ($subscript) = @_;
  my @items = _list_items($subscript);
  my $key   = @{$items[0]} == 1 ? $items[0][0] : {t => 'expr', text => _inner_text($subscript)};
  # {word} is a string key, as Perl reads it.
  my @inner = map { $_->schildren } $subscript->schildren;
  if (@inner == 1 && $inner[0]->isa('PPI::Token::Word') && $subscript->braces eq '{}') {
    $key = {t => 'str', v => $inner[0]->content};
  }
  return {k => 'subscript', brace => substr($subscript->braces, 0, 1), key => $key};
}

# Where the chain sits: its line, its statement (text and lines), what it is
# assigned to, whether it is the whole statement, and the named sub or Moo(se)
# attribute it is written in.
sub _locate {
  my ($chain, $node, $c, $i, $next) = @_;
  my $first = $c->[$i];
  $chain->{line} = $first->line_number;
  $chain->{col}  = $first->column_number;
  $chain->{text} = _span_text($node, $first, $c->[$next - 1]);

  # The statement a reader sees: out of (...), [...] and {...} but not out of blocks.
  my $statement = $node;
  while ($statement) {
    my $parent = $statement->parent;
    last if $statement->isa('PPI::Statement')
      && !($parent && $parent->isa('PPI::Structure') && !$parent->isa('PPI::Structure::Block'));
    $statement = $parent;
  }
  $statement = $node unless $statement;
  # In if (...) {...} and loops, the part that matters is the condition, not the blocks.
  my $end = $statement->isa('PPI::Statement::Compound') ? _end_line($node) : _end_line($statement);
  $chain->{statement} = {line => $statement->line_number, end_line => $end};

  # Assignment and return, when the chain is written directly in its statement.
  if ($node == $statement || $node->isa('PPI::Document')) {
    my $ends = $next >= @$c || ($c->[$next]->isa('PPI::Token::Structure') && $c->[$next]->content eq ';');
    $chain->{complete} = $ends ? _true() : _false();
    if ($i == 0) {
      $chain->{prefix} = '';
    }
    elsif ($i == 1 && $c->[0]->isa('PPI::Token::Word') && $c->[0]->content eq 'return') {
      $chain->{prefix} = 'return';
    }
    elsif ($i >= 2 && $c->[$i - 1]->isa('PPI::Token::Operator') && $ASSIGNMENTS{$c->[$i - 1]->content}) {
      my @target   = @$c[0 .. $i - 2];
      my $declared = '';
      if (@target > 1 && $target[0]->isa('PPI::Token::Word') && $DECLARATORS{$target[0]->content}) {
        $declared = shift(@target)->content;
      }
      my ($target_chain) = @target ? _read_chain(\@target, 0) : ();
      $chain->{assign} = {
        op       => $c->[$i - 1]->content,
        declared => $declared,
        text     => join('', map { $_->content } @target),
        target   => @target == 1 && $target[0]->isa('PPI::Token::Symbol') ? _symbol($target[0])
        : $target_chain ? {t => 'chain', base => $target_chain->{base}, links => $target_chain->{links}}
        :                 {t => 'expr', text => join('', map { $_->content } @target)},
      };
    }
  }

  for (my $up = $node; $up; $up = $up->parent) {
    if (!exists $chain->{sub} && $up->isa('PPI::Statement::Sub') && defined $up->name) {
      $chain->{sub} = $up->name;
    }
    if (!exists $chain->{has} && $up->isa('PPI::Statement')) {
      my @parts = $up->schildren;
      if (@parts > 1 && $parts[0]->isa('PPI::Token::Word') && $parts[0]->content eq 'has') {
        my $name = $parts[1];
        $chain->{has} = $name->isa('PPI::Token::Quote') ? _string($name)->{v} : $name->content;
      }
    }
  }
  return;
}

# The source text from $first to $last (children of $node), whitespace and comments
# included, heredoc bodies not (PPI keeps those apart).
sub _span_text {
  my ($node, $first, $last) = @_;
  my ($text, $on) = ('', 0);
  for my $child ($node->children) {
    $on = 1 if $child == $first;
    $text .= $child->content if $on;
    last if $child == $last;
  }
  return $text;
}

sub _end_line {
  my ($statement) = @_;
  my $last = $statement->last_token or return $statement->line_number;
  my $end  = $last->line_number;
  for my $heredoc (@{$statement->find('PPI::Token::HereDoc') || []}) {
    $end += scalar($heredoc->heredoc) + 1 if $heredoc->line_number == $last->line_number;
  }
  return $end;
}

# -- values -----------------------------------------------------------------

# The comma-separated items of a (...), [...], {...} structure, each turned into a
# value; "word =>" makes the word a string, as Perl does.
sub _list_items {
  my ($structure) = @_;
  my @tokens = map { $_->isa('PPI::Statement') ? $_->schildren : $_ } $structure->schildren;
  my (@items, @current);
  for my $k (0 .. $#tokens) {
    my $token = $tokens[$k];
    if ($token->isa('PPI::Token::Operator') && ($token->content eq ',' || $token->content eq '=>')) {
      if ($token->content eq '=>' && @current == 1 && $current[0]->isa('PPI::Token::Word')) {
        push @items, {t => 'str', v => $current[0]->content};
      }
      elsif ($token->content eq '=>' && @current == 2 && _is_op($current[0], '-') && $current[1]->isa('PPI::Token::Word')) {
        push @items, {t => 'str', v => '-' . $current[1]->content};
      }
      elsif (@current) {
        push @items, _value(@current);
      }
      @current = ();
      next;
    }
    next if $token->isa('PPI::Token::Structure') && $token->content eq ';';
    push @current, $token;
  }
  push @items, _value(@current) if @current;
  return \@items;
}

sub _value {
  my (@t) = @_;
  my $text = join ' ', map { $_->content } @t;
  my $line = $t[0]->line_number;
  if (@t == 1) {
    my $token = $t[0];
    return _string($token) if $token->isa('PPI::Token::Quote');
    return _heredoc($token) if $token->isa('PPI::Token::HereDoc');
    return {t => 'num', v => 0 + $token->literal, text => $token->content} if $token->isa('PPI::Token::Number');
    return {t => 'qw', words => [$token->literal], line => $line} if $token->isa('PPI::Token::QuoteLike::Words');
    return _symbol($token) if $token->isa('PPI::Token::Symbol');
    if ($token->isa('PPI::Token::Word')) {
      my $word = $token->content;
      return {t => 'undef'} if $word eq 'undef';
      return {t => 'bool', v => $JSON_BOOLEANS{$word} ? _true() : _false(), text => $word} if exists $JSON_BOOLEANS{$word};
    }
    if ($token->isa('PPI::Structure::Constructor') || $token->isa('PPI::Structure::Block')) {
      my $kind = $token->braces eq '[]' ? 'array' : 'hash';
      return {t => $kind, items => _list_items($token), line => $line};
    }
  }
  if (@t == 2) {
    my ($first, $second) = @t;
    if ($first->isa('PPI::Token::Cast') && $first->content eq '\\') {
      if ($second->isa('PPI::Token::Number') && $second->content =~ /\A[01]\z/) {
        return {t => 'bool', v => $second->content ? _true() : _false(), text => $text};
      }
      my $of = _value($second);
      return {t => 'ref', of => $of, text => "\\" . $second->content};
    }
    if ($first->isa('PPI::Token::Word') && $first->content eq 'sub' && $second->isa('PPI::Structure::Block')) {
      return _sub($second, undef);
    }
    if (_is_op($first, '-') && $second->isa('PPI::Token::Number')) {
      return {t => 'num', v => -$second->literal, text => $text};
    }
  }
  if (@t == 3 && $t[0]->isa('PPI::Token::Word') && $t[0]->content eq 'sub' && $t[2]->isa('PPI::Structure::Block')) {
    return _sub($t[2], $t[1]);
  }
  if (@t == 3 && _is_op($t[0], '!') && _is_op($t[1], '!') && $t[2]->isa('PPI::Token::Number')) {
    return {t => 'bool', v => $t[2]->literal ? _true() : _false(), text => $text};
  }
  if (@t == 3 && $t[0]->isa('PPI::Token::Word') && $BOOLEAN_CLASSES{$t[0]->content} && _is_op($t[1], '->')
    && $t[2]->isa('PPI::Token::Word') && $t[2]->content =~ /\A(true|false)\z/)
  {
    return {t => 'bool', v => $1 eq 'true' ? _true() : _false(), text => join('', map { $_->content } @t)};
  }
  if (@t == 2 && $t[0]->isa('PPI::Token::Word') && exists $JSON_BOOLEANS{$t[0]->content}
    && $t[1]->isa('PPI::Structure::List') && !$t[1]->schildren)
  {
    return {t => 'bool', v => $JSON_BOOLEANS{$t[0]->content} ? _true() : _false(), text => $text};
  }
  my ($chain, $next) = _read_chain(\@t, 0);
  if ($chain && $next == @t && @{$chain->{links}}) {
    return {t => 'chain', base => $chain->{base}, links => $chain->{links}, text => join('', map { $_->content } @t), line => $line};
  }
  return {t => 'expr', text => join('', map { $_->content } @t), line => $line};
}

sub _symbol {
  my ($token) = @_;
  my $raw    = $token->content;
  my ($sigil, $name) = $raw =~ /\A([\$\@\%&*])(.*)\z/s;
  return {t => 'var', sigil => $sigil // '', name => $name // $raw, text => $raw};
}

# An anonymous sub: only its place and its parameters (my ($c, $tx) = @_;,
# my $tx = shift;, or a signature), never its body.
sub _sub {
  my ($block, $signature) = @_;
  my @params;
  if ($signature) {
    @params = $signature->content =~ /([\$\@\%]\w+)/g;
  }
  else {
    for my $statement ($block->schildren) {
      my @p = $statement->schildren;
      last unless @p >= 4 && $p[0]->isa('PPI::Token::Word') && $p[0]->content eq 'my';
      my $rhs = join '', map { $_->content } @p[ 3 .. $#p ];
      $rhs =~ s/;\z//;
      if ($p[1]->isa('PPI::Structure::List') && $rhs eq '@_') {
        push @params, map { $_->content } grep { $_->isa('PPI::Token::Symbol') } @{$p[1]->find('PPI::Token::Symbol') || []};
        last;
      }
      elsif ($p[1]->isa('PPI::Token::Symbol') && ($rhs eq 'shift' || $rhs eq 'shift@_' || $rhs eq 'shift()')) {
        push @params, $p[1]->content;
        next;
      }
      last;
    }
  }
  my $end = $block->finish ? $block->finish->line_number : $block->line_number;
  return {t => 'sub', params => \@params, line => $block->line_number, end_line => $end};
}

sub _string {
  my ($token) = @_;
  if ($token->isa('PPI::Token::Quote::Single') || $token->isa('PPI::Token::Quote::Literal')) {
    return {t => 'str', v => $token->literal};
  }
  return _interpolated($token->string, $token->content);
}

sub _heredoc {
  my ($token) = @_;
  my @lines = $token->heredoc;
  my $body  = join '', @lines;
  my $mode  = $token->{_mode} // 'interpolate';    # PPI keeps the quoting kind here only
  return {t => 'str', v => $body, heredoc => _true()} if $mode eq 'literal';
  return {t => 'expr', text => $token->content} if $mode eq 'command';
  my $value = _interpolated($body, $token->content);
  $value->{heredoc} = _true();
  return $value;
}

# "text $name ${name} \n": parts of plain text (escapes decoded) and simple
# scalar variables. Anything Perl would interpolate in a more involved way
# ($x->{a}, $x[0], @list, method calls in @{[ ]}) makes it an expression.
sub _interpolated {
  my ($body, $text) = @_;
  my (@parts, $buffer);
  $buffer = '';
  pos($body) = 0;
  while (pos($body) < length $body) {
    if ($body =~ /\G(\\.)/gcs) { $buffer .= $1; next }
    if ($body =~ /\G\$\{(\w+)\}/gc || $body =~ /\G\$(\w+)(?!\[|\{|->|::|\w)/gc) {
      my $name = $1;
      push @parts, {s => _unescape($buffer) // return {t => 'expr', text => $text}} if length $buffer;
      $buffer = '';
      push @parts, {var => "\$$name"};
      next;
    }
    if ($body =~ /\G\@(?=[\w\{:\$])/gc || $body =~ /\G\$(?=\S)/gc) {
      return {t => 'expr', text => $text};
    }
    if ($body =~ /\G([\$\@])/gc) { $buffer .= "\\$1"; next }
    if ($body =~ /\G([^\\\$\@]+)/gc) { $buffer .= $1; next }
    last;
  }
  my $plain = _unescape($buffer);
  return {t => 'expr', text => $text} unless defined $plain;
  return {t => 'str', v => $plain} unless @parts;
  push @parts, {s => $plain} if length $plain;
  return {t => 'interp', parts => \@parts, text => $text};
}

# The value of a double-quoted string that interpolates nothing, as Perl itself
# decodes its escapes; undef if Perl would not compile it. _interpolated only passes
# text whose every $ and @ follows a backslash, so nothing can be interpolated or
# run. (Not Safe: a Safe compartment leaves the embedded interpreter without its
# SIGINT handler.)
sub _unescape {
  my ($buffer) = @_;
  return $buffer unless $buffer =~ /\\/;
  return undef if $buffer =~ /\0/;
  return _compile_string($buffer);
}

sub _inner_text {
  my ($structure) = @_;
  my $content = $structure->content;
  return substr $content, 1, length($content) - 2;
}

1;
