;; The hot loop of the streaming JSON reader, in WebAssembly with 128-bit SIMD: walks the
;; elements of a top-level array, tracking strings, escapes and bracket depth, and stops at the
;; array's closing `]`, at a top-level `,` past the batch limit, or at the end of the region.
;; Build with `npm run build:wasm` (scripts/build-scanner-wasm.mjs → arrayScannerWasm.ts).
;;
;; Inside an element, 16 bytes are classified at once and only the structural ones (`"` `\`
;; `,` `[` `]` `{` `}`) are visited, through the bitmask (as simdjson's first stage does).
;; Between elements, bytes are read one at a time to find where the next element starts.
;;
;; State in globals (read on entry, written on exit):
;;   depth        open brackets, root included
;;   flags        bit 0: inside a string; bit 1: the first byte is escaped; bit 2: inside an element
;;   elementStart memory index where the current element began (may be < start: an earlier chunk)
;;   count        elements completed during this call
;;   pos          where the scan stopped
;; Result: 0 end of region, 1 at the array's `]`, 2 at a batch-boundary `,`,
;;         3 two commas, 4 a `}` closing the array, 5 an element larger than maxElement.
(module
  (memory (export "memory") 1)
  (global $pos (export "pos") (mut i32) (i32.const 0))
  (global $depth (export "depth") (mut i32) (i32.const 0))
  (global $flags (export "flags") (mut i32) (i32.const 0))
  (global $elementStart (export "elementStart") (mut i32) (i32.const 0))
  (global $count (export "count") (mut i32) (i32.const 0))

  ;; Bit k set when byte k of v is structural.
  (func $structural (param $v v128) (result i32)
    (local $folded v128)
    ;; `[`/`{` and `]`/`}` differ only in bit 5: fold it to compare once for each pair.
    (local.set $folded (v128.or (local.get $v) (i8x16.splat (i32.const 0x20))))
    (i8x16.bitmask
      (v128.or
        (v128.or
          (i8x16.eq (local.get $v) (i8x16.splat (i32.const 34)))
          (i8x16.eq (local.get $v) (i8x16.splat (i32.const 92))))
        (v128.or
          (i8x16.eq (local.get $v) (i8x16.splat (i32.const 44)))
          (v128.or
            (i8x16.eq (local.get $folded) (i8x16.splat (i32.const 123)))
            (i8x16.eq (local.get $folded) (i8x16.splat (i32.const 125))))))))

  (func $isStructural (param $c i32) (result i32)
    (i32.or
      (i32.or (i32.eq (local.get $c) (i32.const 34)) (i32.eq (local.get $c) (i32.const 92)))
      (i32.or
        (i32.eq (local.get $c) (i32.const 44))
        (i32.or
          (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 123))
          (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 125))))))

  (func (export "scan")
    (param $start i32) (param $end i32) (param $arrayDepth i32) (param $batchLimit i32) (param $maxElement i32)
    (result i32)
    (local $i i32) (local $p i32) (local $c i32) (local $m i32) (local $width i32)
    (local $depth i32) (local $inString i32) (local $escapedAt i32) (local $inElement i32)
    (local $es i32) (local $count i32) (local $code i32)
    (local.set $depth (global.get $depth))
    (local.set $inString (i32.and (global.get $flags) (i32.const 1)))
    (local.set $escapedAt
      (select (local.get $start) (i32.const -1) (i32.and (global.get $flags) (i32.const 2))))
    (local.set $inElement (i32.and (global.get $flags) (i32.const 4)))
    (local.set $es (global.get $elementStart))
    (local.set $i (local.get $start))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))

        ;; Between elements: skip whitespace; the next byte starts an element or closes the array.
        (if (i32.eqz (i32.or (local.get $inString) (local.get $inElement)))
          (then
            (local.set $c (i32.load8_u (local.get $i)))
            (if (i32.or
                  (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 10)))
                  (i32.or (i32.eq (local.get $c) (i32.const 13)) (i32.eq (local.get $c) (i32.const 9))))
              (then
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $outer)))
            (if (i32.eq (local.get $c) (i32.const 44))
              (then (local.set $code (i32.const 3)) (local.set $p (local.get $i)) (br $done)))
            (if (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 125))
              (then
                ;; `]` (or a stray `}`) right after a comma or the `[`: the array closes.
                (local.set $code (select (i32.const 1) (i32.const 4) (i32.eq (local.get $c) (i32.const 93))))
                (local.set $p (local.get $i))
                (br $done)))
            (local.set $inElement (i32.const 4))
            (local.set $es (local.get $i))))

        ;; Inside an element: the structural bytes of the next 16 (or, near the end, of the next 1).
        (if (i32.le_u (i32.add (local.get $i) (i32.const 16)) (local.get $end))
          (then
            (local.set $m (call $structural (v128.load (local.get $i))))
            (local.set $width (i32.const 16)))
          (else
            (local.set $m (call $isStructural (i32.load8_u (local.get $i))))
            (local.set $width (i32.const 1))))
        (block $blockDone
          (loop $bits
            (br_if $blockDone (i32.eqz (local.get $m)))
            (local.set $p (i32.add (local.get $i) (i32.ctz (local.get $m))))
            (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
            (local.set $c (i32.load8_u (local.get $p)))
            (if (local.get $inString)
              (then
                (br_if $bits (i32.eq (local.get $p) (local.get $escapedAt)))
                (if (i32.eq (local.get $c) (i32.const 92))
                  (then
                    (local.set $escapedAt (i32.add (local.get $p) (i32.const 1)))
                    (br $bits)))
                (if (i32.eq (local.get $c) (i32.const 34))
                  (then (local.set $inString (i32.const 0))))
                (br $bits)))
            (if (i32.eq (local.get $c) (i32.const 34))
              (then
                (local.set $inString (i32.const 1))
                (br $bits)))
            (if (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 123))
              (then
                (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
                (br $bits)))
            (if (i32.eq (i32.or (local.get $c) (i32.const 0x20)) (i32.const 125))
              (then
                (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
                (if (i32.lt_s (local.get $depth) (local.get $arrayDepth))
                  (then
                    (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
                    (local.set $code (select (i32.const 1) (i32.const 4) (i32.eq (local.get $c) (i32.const 93))))
                    (br $done)))
                (br $bits)))
            (if (i32.and (i32.eq (local.get $c) (i32.const 44)) (i32.eq (local.get $depth) (local.get $arrayDepth)))
              (then
                (if (i32.gt_s (i32.sub (local.get $p) (local.get $es)) (local.get $maxElement))
                  (then (local.set $code (i32.const 5)) (br $done)))
                (local.set $count (i32.add (local.get $count) (i32.const 1)))
                (local.set $inElement (i32.const 0))
                (if (i32.ge_s (local.get $p) (local.get $batchLimit))
                  (then (local.set $code (i32.const 2)) (br $done)))
                ;; Back to the between-elements path after this comma.
                (local.set $i (i32.add (local.get $p) (i32.const 1)))
                (br $outer)))
            (br $bits)))
        (local.set $i (i32.add (local.get $i) (local.get $width)))
        (br $outer)))
    ;; Stopped early at $p (codes 1–5), or ran to the end of the region.
    (if (local.get $code) (then (local.set $i (local.get $p))))
    (global.set $pos (local.get $i))
    (global.set $depth (local.get $depth))
    (global.set $flags
      (i32.or
        (i32.or (local.get $inString) (select (i32.const 2) (i32.const 0) (i32.eq (local.get $escapedAt) (local.get $i))))
        (local.get $inElement)))
    (global.set $elementStart (local.get $es))
    (global.set $count (local.get $count))
    (local.get $code))
  ;; Skips the rest of an array nobody asked for (Herbarium's 3.3M `distances`): only strings and
  ;; `[` `]` matter, and elements are not counted. A block without backslashes is settled with
  ;; masks alone: the quote bitmask's prefix-xor tells which bytes are inside strings, so only
  ;; brackets outside strings are visited. Blocks with a backslash go byte by byte.
  ;; Uses depth, flags (bits 0 and 1) and pos; result 0 end of region, 1 at the array's `]`.
  (func (export "skip") (param $start i32) (param $end i32) (param $arrayDepth i32) (result i32)
    (local $i i32) (local $v v128) (local $q i32) (local $inside i32) (local $br i32)
    (local $p i32) (local $c i32) (local $stop i32)
    (local $depth i32) (local $inString i32) (local $escaped i32) (local $code i32)
    (local.set $depth (global.get $depth))
    (local.set $inString (i32.and (global.get $flags) (i32.const 1)))
    (local.set $escaped (i32.and (global.get $flags) (i32.const 2)))
    (local.set $i (local.get $start))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $stop (i32.add (local.get $i) (i32.const 16)))
        (if (i32.and
              (i32.le_u (local.get $stop) (local.get $end))
              (i32.eqz (local.get $escaped)))
          (then
            (local.set $v (v128.load (local.get $i)))
            (if (i32.eqz (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 92)))))
              (then
                (local.set $q (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 34)))))
                ;; inside: bit k = odd number of quotes at 0..k, flipped when the block starts in a string.
                (local.set $inside (i32.xor (local.get $q) (i32.shl (local.get $q) (i32.const 1))))
                (local.set $inside (i32.xor (local.get $inside) (i32.shl (local.get $inside) (i32.const 2))))
                (local.set $inside (i32.xor (local.get $inside) (i32.shl (local.get $inside) (i32.const 4))))
                (local.set $inside (i32.xor (local.get $inside) (i32.shl (local.get $inside) (i32.const 8))))
                (if (local.get $inString) (then (local.set $inside (i32.xor (local.get $inside) (i32.const 0xffff)))))
                (local.set $br
                  (i32.and
                    (i8x16.bitmask
                      (v128.or
                        (i8x16.eq (local.get $v) (i8x16.splat (i32.const 91)))
                        (i8x16.eq (local.get $v) (i8x16.splat (i32.const 93)))))
                    (i32.xor (local.get $inside) (i32.const 0xffff))))
                (block $bitsDone
                  (loop $bits
                    (br_if $bitsDone (i32.eqz (local.get $br)))
                    (local.set $p (i32.add (local.get $i) (i32.ctz (local.get $br))))
                    (local.set $br (i32.and (local.get $br) (i32.sub (local.get $br) (i32.const 1))))
                    (if (i32.eq (i32.load8_u (local.get $p)) (i32.const 91))
                      (then (local.set $depth (i32.add (local.get $depth) (i32.const 1))))
                      (else
                        (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
                        (if (i32.lt_s (local.get $depth) (local.get $arrayDepth))
                          (then
                            ;; A bracket outside strings: the quotes before it in the block are paired.
                            (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
                            (local.set $inString (i32.const 0))
                            (local.set $code (i32.const 1))
                            (local.set $i (local.get $p))
                            (br $done)))))
                    (br $bits)))
                (local.set $inString (i32.and (i32.xor (local.get $inString) (i32.popcnt (local.get $q))) (i32.const 1)))
                (local.set $i (local.get $stop))
                (br $outer)))))
        ;; Byte by byte: a block with a backslash, an escaped first byte, or the tail.
        (if (i32.gt_u (local.get $stop) (local.get $end)) (then (local.set $stop (local.get $end))))
        (loop $byte
          (local.set $c (i32.load8_u (local.get $i)))
          (if (local.get $escaped)
            (then (local.set $escaped (i32.const 0)))
            (else
              (if (local.get $inString)
                (then
                  (if (i32.eq (local.get $c) (i32.const 92)) (then (local.set $escaped (i32.const 2))))
                  (if (i32.eq (local.get $c) (i32.const 34)) (then (local.set $inString (i32.const 0)))))
                (else
                  (if (i32.eq (local.get $c) (i32.const 34)) (then (local.set $inString (i32.const 1))))
                  (if (i32.eq (local.get $c) (i32.const 91)) (then (local.set $depth (i32.add (local.get $depth) (i32.const 1)))))
                  (if (i32.eq (local.get $c) (i32.const 93))
                    (then
                      (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
                      (if (i32.lt_s (local.get $depth) (local.get $arrayDepth))
                        (then
                          (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
                          (local.set $code (i32.const 1))
                          (br $done)))))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $byte (i32.lt_u (local.get $i) (local.get $stop))))
        (br $outer)))
    (global.set $pos (local.get $i))
    (global.set $depth (local.get $depth))
    (global.set $flags (i32.or (local.get $inString) (local.get $escaped)))
    (local.get $code))
)
