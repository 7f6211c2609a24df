#!/usr/bin/perl
# A man page from a dl tool's --help (on standard input), kept verbatim: every
# default, `(values: …)` list and example line as --help prints it (the pages
# swift-argument-parser's generate-manual wrote dropped the defaults and values
# and reflowed the examples as prose).
#   COLUMNS=80 dl-fit train --help | help2man.pl dl-fit.train DATE [SEE-ALSO…]
use strict;
use warnings;
use utf8;
binmode(STDIN, ':encoding(UTF-8)');
binmode(STDOUT, ':encoding(UTF-8)');

my ($name, $date, @see) = @ARGV;
die "usage: help2man.pl NAME DATE [SEE-ALSO...]\n" unless defined $date;
my @lines = map { chomp; $_ } <STDIN>;

# troff: a backslash is \e; a line starting with . or ' would be a request.
sub esc { my $s = shift; $s =~ s/\\/\\e/g; $s =~ s/^([.'])/\\&$1/; $s =~ s/-/\\-/g; return $s; }

# NAME: the OVERVIEW paragraph, on one line.
my @overview;
while (@lines && $lines[0] ne '') { push @overview, shift @lines; }
shift @lines while @lines && $lines[0] eq '';
my $summary = join(' ', @overview);
$summary =~ s/^OVERVIEW:\s*//;
$summary =~ s/\s+/ /g;

my $title = uc($name);
print ".TH \"$title\" \"1\" \"$date\" \"dl\" \"dl manual\"\n";
print ".SH NAME\n", esc($name), " \\- ", esc($summary), "\n";
print ".SH DESCRIPTION\n.nf\n";
print esc($_), "\n" for @lines;
print ".fi\n";
if (@see) {
    print ".SH \"SEE ALSO\"\n", join(', ', map { esc($_) . "(1)" } @see), "\n";
}
