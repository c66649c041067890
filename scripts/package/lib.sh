# Sourced by the scripts in scripts/package: the Debian release the roots
# are made of, and the helpers of the package tests.

SUITE=bookworm
MIRRORS=(
	"deb http://deb.debian.org/debian $SUITE main"
	"deb http://deb.debian.org/debian $SUITE-updates main"
	"deb http://deb.debian.org/debian-security $SUITE-security main"
)

die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# parse_args ARG...: the options the package scripts share, into the
# variables of the same names; the defaults are below. Anything else is an
# error that shows the script's USAGE.
version="" arch="" dist=dist work=data/package models=models
parse_args() {
	while (($#)); do
		case "$1" in
		--version | --arch | --dist | --work | --models)
			(($# >= 2)) || die "$1 needs a value; usage: $USAGE"
			printf -v "${1#--}" '%s' "$2"
			shift 2
			;;
		*) die "unknown argument '$1'; usage: $USAGE" ;;
		esac
	done
	[[ -n $version ]] || die "--version is required; usage: $USAGE"
}

# check WHAT CMD [ARG...] runs CMD and counts a pass, or reports WHAT as
# failed and counts a failure; the script goes on. summary prints the count
# and fails when anything failed.
passed=0 failed=0
check() {
	local what=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "ok    $what"
	else
		failed=$((failed + 1))
		echo "FAIL  $what" >&2
	fi
}
summary() {
	echo "$(basename "$0" .sh): $passed passed, $failed failed"
	((failed == 0))
}

# same A B: the two strings are equal; prints both when not.
same() {
	[[ $1 == "$2" ]] && return 0
	printf '  got:  %s\n  want: %s\n' "$1" "$2" >&2
	return 1
}

# test_video DIR PASSES: a generated 720p drive past PASSES cars in DIR
# (bin/edge-videogen, made by make tools), made once; prints its truth file.
test_video() {
	local dir=$1 passes=$2
	local truth=$dir/synthetic-720p.truth.json
	if [[ ! -f $truth ]]; then
		[[ -x bin/edge-videogen ]] || die "bin/edge-videogen missing: run 'make tools'"
		bin/edge-videogen synthetic --out "$dir" --height 720 --passes "$passes" --seed 7 >/dev/null 2>&1 ||
			die "edge-videogen could not write the test video in $dir"
	fi
	echo "$truth"
}
