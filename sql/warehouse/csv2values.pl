#!/usr/bin/perl
# Copy SQL from stdin to stdout, replacing each line "--@csv FILE ALIAS" with
#   (VALUES ('a', 'b'), ...) AS ALIAS (col1, col2)
# built from the CSV file DIR/FILE (DIR is the first argument).  The CSV
# follows RFC 4180: fields separated by commas, optionally in double quotes;
# a quoted field may hold commas, newlines and doubled quotes ("").  The first
# record names the columns.  Every field becomes a text literal with single
# quotes doubled; an empty field becomes ''.  Input must be UTF-8.
# A line "--@json FILE" is replaced by the contents of DIR/FILE (a JSON
# document such as a GeoJSON layer) as a dollar-quoted literal $json$...$json$.
use strict;
use warnings;

my $dir = shift @ARGV or die "usage: csv2values.pl DATADIR < in.sql > out.sql\n";

sub parse_csv {
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or die "csv2values: cannot open $path: $!\n";
	local $/;
	my $text = <$fh>;
	close $fh;
	$text =~ s/^\xEF\xBB\xBF//;		# byte-order mark
	my (@records, @fields);
	my $field = '';
	my $pos = 0;
	my $len = length $text;
	my $at_start = 1;
	while ($pos < $len) {
		my $c = substr($text, $pos, 1);
		if ($at_start && $c eq '"') {
			# quoted field: up to the closing quote, "" is a quote
			$pos++;
			while (1) {
				die "csv2values: $path: unterminated quoted field\n" if $pos >= $len;
				my $q = index($text, '"', $pos);
				die "csv2values: $path: unterminated quoted field\n" if $q < 0;
				$field .= substr($text, $pos, $q - $pos);
				$pos = $q + 1;
				if ($pos < $len && substr($text, $pos, 1) eq '"') {
					$field .= '"';
					$pos++;
					next;
				}
				last;
			}
			$at_start = 0;
			next;
		}
		if ($c eq ',') {
			push @fields, $field;
			$field = '';
			$at_start = 1;
			$pos++;
		} elsif ($c eq "\r" || $c eq "\n") {
			$pos++ if $c eq "\r" && $pos + 1 < $len && substr($text, $pos + 1, 1) eq "\n";
			$pos++;
			push @fields, $field;
			push @records, [@fields] unless @fields == 1 && $fields[0] eq '';
			@fields = ();
			$field = '';
			$at_start = 1;
		} else {
			die "csv2values: $path: quote inside an unquoted field\n" if $c eq '"';
			$field .= $c;
			$at_start = 0;
			$pos++;
		}
	}
	if (!$at_start || $field ne '' || @fields) {
		push @fields, $field;
		push @records, [@fields];
	}
	return @records;
}

sub literal {
	my ($s) = @_;
	$s =~ s/'/''/g;
	return "'$s'";
}

while (my $line = <STDIN>) {
	if ($line =~ /^\s*--\@csv\s+(\S+)\s+([a-z_][a-z0-9_]*)\s*$/) {
		my ($file, $alias) = ($1, $2);
		die "csv2values: bad file name $file\n" unless $file =~ /^[A-Za-z0-9_.-]+\.csv$/;
		my @rec = parse_csv("$dir/$file");
		my $head = shift @rec or die "csv2values: $file is empty\n";
		my @cols = @$head;
		for (@cols) {
			die "csv2values: $file: bad column name \"$_\"\n" unless /^[a-z_][a-z0-9_]*$/;
		}
		die "csv2values: $file has no rows\n" unless @rec;
		my $n = 0;
		print "(VALUES\n";
		for my $r (@rec) {
			die "csv2values: $file: record " . ($n + 2) . " has " . scalar(@$r) .
				" fields, the header has " . scalar(@cols) . "\n" unless @$r == @cols;
			print "\t", ($n++ ? ',' : ' '), '(', join(', ', map { literal($_) } @$r), ")\n";
		}
		print ") AS $alias (", join(', ', map { "\"$_\"" } @cols), ")\n";
	} elsif ($line =~ /^\s*--\@json\s+(\S+)\s*$/) {
		my $file = $1;
		die "csv2values: bad file name $file\n" unless $file =~ /^[A-Za-z0-9_.-]+\.(geo)?json$/;
		open(my $fh, '<:raw', "$dir/$file") or die "csv2values: cannot open $dir/$file: $!\n";
		local $/;
		my $text = <$fh>;
		close $fh;
		$text =~ s/^\xEF\xBB\xBF//;
		$text =~ s/\s+\z//;
		die "csv2values: $file contains \$json\$\n" if index($text, '$json$') >= 0;
		print '$json$', $text, '$json$', "\n";
	} else {
		print $line;
	}
}
