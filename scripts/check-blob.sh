#!/bin/sh
# The restore blob is copied to a free address and runs after everything
# else is unmapped: it may not reference anything outside its own section.
obj=$1
relocs=$(objdump -r -j crest_blob "$obj" 2>/dev/null | grep -cE '^[0-9a-f]{16} ')
other=$(objdump -h "$obj" | awk '$2 ~ /^\.(text|data|bss|rodata)/ && $3 != "00000000" {print $2}')
if [ "$relocs" != "0" ] || [ -n "$other" ]; then
    echo "check-blob: $obj references code or data outside section crest_blob:" >&2
    objdump -r -j crest_blob "$obj" >&2
    echo "non-empty sections: $other" >&2
    exit 1
fi
