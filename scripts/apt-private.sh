#!/usr/bin/env bash
# apt-get with a private sources list, for suites the machine does not list itself.
# Usage: apt-private.sh SUITE apt-get|apt-cache ARGS...
# SUITE is listed together with its release's own suites (trixie-backports: trixie, trixie-updates, ...).
set -euo pipefail
source "$(dirname "$0")/common.sh"

suite=$1 tool=$2
shift 2
dir=$DW_CACHE/apt/$suite
lock "apt-$suite"
mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
release=${suite%%-*}
key=/usr/share/keyrings/debian-archive-keyring.gpg
# The machine's own Debian archive and security archive (a local mirror, a proxy's address), from
# the sources it lists for its release: the other suites come from the same places.
# shellcheck source=/dev/null
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
repo_of() { # repo_of SUITE: the URI of the machine's source for SUITE, if it lists one
    apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
        awk -v suite="$1" '$2 == suite { print $1; exit }'
}
archive=$(repo_of "$codename")
security=$(repo_of "$codename-security")
[[ -n $archive ]] || die "the machine's apt sources list no Debian archive for '$codename'; \
$suite cannot be reached through them"
{
    for s in "$release" "$release-updates" "$suite"; do
        echo "deb [signed-by=$key] $archive $s main"
    done
    [[ -z $security ]] || echo "deb [signed-by=$key] $security $release-security main"
} | sort -u >"$dir/sources.list"
opts=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=/dev/null
      -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root)
# Refresh the private lists at most once a day.
if [[ -z $(find "$dir/lists" -name '*Packages*' -mtime -1 -print -quit) ]]; then
    apt-get "${opts[@]}" update -qq
fi
# Installing needs root; reading the lists and downloading do not.
run=()
[[ $tool == apt-get && ${1:-} == install ]] && run=(as_root)
"${run[@]}" env DEBIAN_FRONTEND=noninteractive "$tool" "${opts[@]}" "$@"
