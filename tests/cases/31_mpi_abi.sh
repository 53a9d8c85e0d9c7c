#!/bin/bash
# crest's include/mpi.h has the binary interface of MPICH's mpi.h, so that a
# program compiled against MPICH (mpicc.mpich) runs on crest's libmpi:
# - tests/programs/mpi_abi_dump, compiled against each header, prints the
#   same lines: every constant, handle, sentinel pointer, typedef (underlying
#   type, size, alignment), callback signature, library variable and the
#   MPI_Status layout; the list is not tiny, and every MPI_ name of crest's
#   header is in it (but for the exclusions below);
# - the same program built as an object refers to the same library symbols
#   (MPIR_Dup_fn behind MPI_DUP_FN, MPI_UNWEIGHTED, ...);
# - every typedef, prototype (MPI_ and PMPI_) and extern of crest's header
#   can be declared again after MPICH's header, which fails for any
#   difference of type (a missing const, long vs long long, another struct
#   tag), and MPICH declares each of those names too;
# - a C++ file sees the same symbols and mangled names with either header;
# - crest's header compiles cleanly on its own as C99 (-pedantic) and C++,
#   and says MPI 3.1.
# Needs MPICH's header (Debian: libmpich-dev); fails if it is not installed.
. "$(dirname "$0")/../lib.sh"
setup_work

MPICH_INC=${MPICH_INC:-/usr/include/$(gcc -print-multiarch 2>/dev/null)/mpich}
[ -f "$MPICH_INC/mpi.h" ] ||
    fail "MPICH's mpi.h is not installed ($MPICH_INC/mpi.h): install libmpich-dev (apt-get install libmpich-dev)"
OURS=$REPO/include
DUMP_SRC=$TESTS_DIR/programs/mpi_abi_dump.c
[ -f "$OURS/mpi.h" ] || fail "$OURS/mpi.h does not exist"

# Names of crest's header that the dump does not print, with the reason.
EXCLUDED=(
    MPI_VERSION    # crest says 3.1 (the functions it has), MPICH 4.0: checked below
    MPI_SUBVERSION # idem
)

# ------------------------------------------------ the header on its own
printf '#include <mpi.h>\nint main(void) { return MPI_SUCCESS; }\n' >"$WORK/alone.c"
cp "$WORK/alone.c" "$WORK/alone.cc"
gcc -std=c99 -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$OURS" "$WORK/alone.c" \
    >"$WORK/alone-c.log" 2>&1 || { show "$WORK/alone-c.log"; fail_soft "include/mpi.h does not compile cleanly as C99"; }
g++ -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$OURS" "$WORK/alone.cc" \
    >"$WORK/alone-cxx.log" 2>&1 || { show "$WORK/alone-cxx.log"; fail_soft "include/mpi.h does not compile cleanly as C++"; }
gcc -dM -E -x c "$OURS/mpi.h" >"$WORK/ours.macros" 2>"$WORK/macros.err" || { show "$WORK/macros.err"; fail "cannot preprocess include/mpi.h"; }
version=$(awk '$2 == "MPI_VERSION" { v = $3 } $2 == "MPI_SUBVERSION" { s = $3 } END { print v "." s }' "$WORK/ours.macros")
[ "$version" = 3.1 ] || fail_soft "include/mpi.h says MPI $version, not 3.1"

# ------------------------------------------------ the dump, against each header
build_dump() { # $1: label, $2: include directory, $3...: more flags
    local label=$1 inc=$2
    shift 2
    gcc -std=c11 -O0 -Wall -Wextra -I"$inc" "$@" -o "$WORK/dump-$label" "$DUMP_SRC" -lm \
        >"$WORK/dump-$label.log" 2>&1 || {
        show "$WORK/dump-$label.log" 30
        fail "mpi_abi_dump does not build against the $label header (it links no MPI library: a name that should be a constant must not refer to a library symbol)"
    }
    timeout 10 "$WORK/dump-$label" >"$WORK/dump-$label.out" 2>"$WORK/dump-$label.err" ||
        fail "mpi_abi_dump built against the $label header failed to run"
}
build_dump mpich "$MPICH_INC"
build_dump crest "$OURS" -Werror
lines=$(wc -l <"$WORK/dump-mpich.out")
note "dump: $lines lines"
[ "$lines" -ge 300 ] || fail_soft "the dump has only $lines lines: it must cover the whole header (several hundred names)"
if grep -E ' (DIFFERENT|other)( |$)' "$WORK/dump-mpich.out" >"$WORK/dump-bad"; then
    sed 's/^/  /' "$WORK/dump-bad" | head -20
    fail_soft "the dump's expectations do not match MPICH's own header (lines above): fix mpi_abi_dump.c"
fi
if ! cmp -s "$WORK/dump-mpich.out" "$WORK/dump-crest.out"; then
    fail_soft "the dump differs between MPICH's header (-) and crest's (+):"
    diff -u "$WORK/dump-mpich.out" "$WORK/dump-crest.out" | tail -n +3 | grep '^[-+]' | head -60 | sed 's/^/  /'
fi

# ------------------------------------------------ library symbols behind the macros
# "NAME SYMBOL" for each abi_NAME of the object: the symbol its relocation
# names, or "-" for a constant.
for label in mpich crest; do
    inc=$MPICH_INC
    [ $label = crest ] && inc=$OURS
    gcc -std=c11 -Wall -Wextra -DMPI_ABI_SYMBOLS -I"$inc" -c -o "$WORK/symbols-$label.o" "$DUMP_SRC" \
        >"$WORK/symbols-$label.log" 2>&1 || { show "$WORK/symbols-$label.log"; fail "mpi_abi_dump -DMPI_ABI_SYMBOLS does not compile against the $label header"; }
    {
        objdump -r -j mpi_abi "$WORK/symbols-$label.o" | awk '$2 ~ /^R_/ { print "reloc", $1, $3 }'
        objdump -t "$WORK/symbols-$label.o" | awk '$NF ~ /^abi_/ { print "object", $1, substr($NF, 5) }'
    } | awk '$1 == "reloc" { target[$2] = $3 } $1 == "object" { name[$2] = $3 }
             END { for (o in name) print name[o], (o in target ? target[o] : "-") }' |
        sort >"$WORK/symbols-$label.txt"
done
[ "$(wc -l <"$WORK/symbols-mpich.txt")" -ge 20 ] || fail_soft "the symbol list of mpi_abi_dump -DMPI_ABI_SYMBOLS is short: the check is broken"
note "library symbols behind the header: $(awk '$2 != "-" { printf "%s->%s ", $1, $2 }' "$WORK/symbols-mpich.txt")"
cmp -s "$WORK/symbols-mpich.txt" "$WORK/symbols-crest.txt" || {
    fail_soft "names of the header refer to other library symbols with MPICH's header (-) than with crest's (+):"
    diff "$WORK/symbols-mpich.txt" "$WORK/symbols-crest.txt" | grep '^[<>]' | sed 's/^</  -/; s/^>/  +/'
}

# ------------------------------------------------ declarations
# Split crest's preprocessed header into declarations (structure bodies
# removed) and sort out what each one declares.
gcc -std=c11 -E -P -x c "$OURS/mpi.h" >"$WORK/ours.i" 2>"$WORK/ours.i.err" || { show "$WORK/ours.i.err"; fail "cannot preprocess include/mpi.h"; }
perl -e '
    local $/; $_ = <STDIN>;
    s/\{[^{}]*\}//g;
    for my $s (split /;/) {
        $s =~ s/\s+/ /g; $s =~ s/^ //; $s =~ s/ $//;
        next unless length $s;
        print "decl $s;\n";
        if ($s =~ /^typedef /) {
            if ($s =~ /\( ?\*? ?(\w+) ?\) ?\(/ or $s =~ /(\w+)$/) { print "type $1\n" }
        } elsif ($s =~ /^extern /) {
            print "var $1\n" if $s =~ /(\w+)$/;
        } elsif ($s =~ /^struct \w+$/) {
        } elsif ($s =~ /(\w+) ?\(/) {
            print "fn $1\n";
        } else {
            print "other $s\n";
        }
    }' <"$WORK/ours.i" >"$WORK/ours.decls"
if grep '^other ' "$WORK/ours.decls" >"$WORK/decls-other"; then
    sed 's/^other /  /' "$WORK/decls-other" | head
    fail_soft "include/mpi.h has declarations this case does not know how to check (above)"
fi
nfn=$(grep -c '^fn ' "$WORK/ours.decls")
ntype=$(grep -c '^type ' "$WORK/ours.decls")
nvar=$(grep -c '^var ' "$WORK/ours.decls")
note "declarations: $nfn functions, $ntype typedefs, $nvar variables"

# Declared again after MPICH's header: any difference of type is an error.
{
    echo '#include <mpi.h>'
    sed -n 's/^decl //p' "$WORK/ours.decls"
} >"$WORK/redeclare.c"
gcc -std=c11 -pedantic-errors -fsyntax-only -I"$MPICH_INC" "$WORK/redeclare.c" >"$WORK/redeclare.log" 2>&1 || {
    grep -E 'error' "$WORK/redeclare.log" | head -30 | sed 's/^/  /'
    fail_soft "declarations of include/mpi.h conflict with MPICH's (above)"
}
# ... and MPICH declares every one of those names.
{
    echo '#include <mpi.h>'
    awk '$1 == "fn" || $1 == "var" { printf "static const unsigned long use_%d = sizeof(&%s);\n", NR, $2 }
         $1 == "type" { printf "typedef %s *use_%d;\n", $2, NR }' "$WORK/ours.decls"
} >"$WORK/declared.c"
gcc -std=c11 -fsyntax-only -I"$MPICH_INC" "$WORK/declared.c" >"$WORK/declared.log" 2>&1 || {
    grep -E 'error' "$WORK/declared.log" | head -30 | sed 's/^/  /'
    fail_soft "include/mpi.h declares names that MPICH's header does not (above)"
}

# ------------------------------------------------ C++: linkage and mangling
cat >"$WORK/cxx.cc" <<'END'
#include <mpi.h>
void crest_mangled(MPI_File, MPI_Status *, MPI_Aint, MPI_Offset, MPI_Count, MPI_Fint, MPI_Comm,
                   MPI_User_function *, MPI_Comm_copy_attr_function *) {}
const void *crest_refs[] = {
    (const void *)&MPI_Send, (const void *)&PMPI_Recv, (const void *)&MPI_Wtime,
    (const void *)&MPI_UNWEIGHTED, (const void *)&MPI_F_STATUS_IGNORE, (const void *)MPI_DUP_FN,
};
END
for label in mpich crest; do
    inc=$MPICH_INC
    [ $label = crest ] && inc=$OURS
    g++ -DMPICH_SKIP_MPICXX -I"$inc" -c -o "$WORK/cxx-$label.o" "$WORK/cxx.cc" >"$WORK/cxx-$label.log" 2>&1 ||
        { show "$WORK/cxx-$label.log"; fail "a C++ file including the $label header does not compile"; }
    nm "$WORK/cxx-$label.o" | awk '$1 == "U" || $2 == "T" { print $NF }' | sort >"$WORK/cxx-$label.txt"
done
cmp -s "$WORK/cxx-mpich.txt" "$WORK/cxx-crest.txt" || {
    fail_soft "C++ code sees other symbols with MPICH's header (-) than with crest's (+):"
    diff "$WORK/cxx-mpich.txt" "$WORK/cxx-crest.txt" | grep '^[<>]' | sed 's/^</  -/; s/^>/  +/'
}

# ------------------------------------------------ nothing left unchecked
# Every MPI_/PMPI_ name of crest's header: its macros, and the identifiers
# of its declarations (typedefs, variables, MPI_Status's fields), but not
# the functions, checked above.
{
    sed -nE 's/^#define (P?MPI_[A-Za-z0-9_]*).*/\1/p' "$WORK/ours.macros"
    grep -oE '\bP?MPI_[A-Za-z0-9_]*' "$WORK/ours.i"
} | sort -u >"$WORK/names.all"
awk '$1 == "fn" { print $2 }' "$WORK/ours.decls" | sort -u >"$WORK/names.fn"
comm -23 "$WORK/names.all" "$WORK/names.fn" >"$WORK/names.header"
printf '%s\n' "${EXCLUDED[@]}" | sort -u >"$WORK/names.excluded"
# the names of the dump: first field of each line, split at . ( ) ,
awk '{ n = split($1, part, /[.(),]/); for (i = 1; i <= n; i++) if (part[i] != "") print part[i] }' \
    "$WORK/dump-crest.out" | sort -u >"$WORK/names.dump"
comm -23 "$WORK/names.header" "$WORK/names.excluded" | comm -23 - "$WORK/names.dump" >"$WORK/names.missing"
nnames=$(wc -l <"$WORK/names.header")
note "crest's header: $nnames MPI_ names besides the functions, ${#EXCLUDED[@]} excluded: ${EXCLUDED[*]}"
[ "$nnames" -ge 300 ] || fail_soft "only $nnames names found in include/mpi.h: the extraction is broken"
if [ -s "$WORK/names.missing" ]; then
    fail_soft "names of include/mpi.h that mpi_abi_dump does not check: $(tr '\n' ' ' <"$WORK/names.missing")"
fi
stale=$(comm -12 "$WORK/names.excluded" "$WORK/names.dump" | tr '\n' ' ')
[ -z "$stale" ] || fail_soft "names both excluded and in the dump (drop them from EXCLUDED): $stale"

# For information: what MPICH's header has and crest's has not (MPI-4.0,
# MPI_T, MPICH's own).
echo '#include <mpi.h>' >"$WORK/mpich-macros.c"
gcc -dM -E -I"$MPICH_INC" "$WORK/mpich-macros.c" 2>/dev/null |
    sed -nE 's/^#define (P?MPI_[A-Za-z0-9_]*).*/\1/p' | sort -u >"$WORK/names.mpich"
extra=$(comm -23 "$WORK/names.mpich" "$WORK/names.all")
note "MPICH macros not in crest's header ($(echo "$extra" | grep -c .)): $(echo "$extra" | tr '\n' ' ')"
finish
