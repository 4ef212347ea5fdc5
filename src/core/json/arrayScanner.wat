;; The hot loop of the streaming JSON reader, in WebAssembly: walks the elements of a top-level
;; array, tracking strings, escapes and bracket depth, and stops at the array's closing `]`, at a
;; top-level `,` past the batch limit, or at the end of the region. Build with
;; `npm run build:wasm` (scripts/build-scanner-wasm.mjs), which writes arrayScannerWasm.ts.
;;
;; State in globals (read on entry, written on exit):
;;   depth        open brackets, root included
;;   flags        bit 0: inside a string; bit 1: after a backslash; bit 2: inside an element
;;   elementStart memory index where the current element began (may be < start: an earlier chunk)
;;   count        elements completed during this call
;;   pos          where the scan stopped
;; Memory: bytes 0–255 classify bytes outside strings (0 = plain: whitespace, digits, letters,
;; `:`, `.`; 1 = interesting: `"` `,` `[` `]` `{` `}`); the buffer is copied in from byte 512.
;; Result: 0 end of region, 1 at the array's `]`, 2 at a batch-boundary `,`,
;;         3 two commas, 4 a `}` closing the array, 5 an element larger than maxElement.
(module
  (memory (export "memory") 1)
  ;; byteClass: 1 at `"` (34), `,` (44), `[` (91), `]` (93), `{` (123), `}` (125).
  (data (i32.const 34) "\01")
  (data (i32.const 44) "\01")
  (data (i32.const 91) "\01\00\01")
  (data (i32.const 123) "\01\00\01")
  (global $pos (export "pos") (mut i32) (i32.const 0))
  (global $depth (export "depth") (mut i32) (i32.const 0))
  (global $flags (export "flags") (mut i32) (i32.const 0))
  (global $elementStart (export "elementStart") (mut i32) (i32.const 0))
  (global $count (export "count") (mut i32) (i32.const 0))
  (func (export "scan")
    (param $start i32) (param $end i32) (param $arrayDepth i32) (param $batchLimit i32) (param $maxElement i32)
    (result i32)
    (local $i i32) (local $c i32) (local $depth i32) (local $inString i32) (local $escaped i32)
    (local $inElement i32) (local $es i32) (local $count i32) (local $code i32)
    (local.set $depth (global.get $depth))
    (local.set $inString (i32.and (global.get $flags) (i32.const 1)))
    (local.set $escaped (i32.and (global.get $flags) (i32.const 2)))
    (local.set $inElement (i32.and (global.get $flags) (i32.const 4)))
    (local.set $es (global.get $elementStart))
    (local.set $i (local.get $start))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (local.get $inString)
          (then
            ;; Strings: a tight inner loop to the closing quote.
            (if (local.get $escaped)
              (then
                (local.set $escaped (i32.const 0))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))
            (block $stringEnd
              (loop $stringByte
                (local.set $c (i32.load8_u (local.get $i)))
                (if (i32.eq (local.get $c) (i32.const 34))
                  (then
                    (local.set $inString (i32.const 0))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $stringEnd)))
                (if (i32.eq (local.get $c) (i32.const 92))
                  (then
                    (local.set $i (i32.add (local.get $i) (i32.const 2)))
                    (if (i32.gt_u (local.get $i) (local.get $end))
                      (then
                        ;; The backslash was the region's last byte: its escapee comes next time.
                        (local.set $i (local.get $end))
                        (local.set $escaped (i32.const 2))))
                    (br_if $stringEnd (i32.ge_u (local.get $i) (local.get $end)))
                    (br $stringByte)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $stringByte (i32.lt_u (local.get $i) (local.get $end)))))
            (br $next)))
        ;; Inside an element, plain bytes are skipped in a tight loop through the class table.
        (if (local.get $inElement)
          (then
            (if (i32.eqz (i32.load8_u (local.get $c)))
              (then
                (block $plainEnd
                  (loop $plain
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br_if $plainEnd (i32.ge_u (local.get $i) (local.get $end)))
                    (local.set $c (i32.load8_u (local.get $i)))
                    (br_if $plain (i32.eqz (i32.load8_u (local.get $c))))))
                (br $next)))))
        ;; Whitespace: nothing to do.
        (if (i32.le_u (local.get $c) (i32.const 32))
          (then
            (if (i32.or
                  (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 10)))
                  (i32.or (i32.eq (local.get $c) (i32.const 13)) (i32.eq (local.get $c) (i32.const 9))))
              (then
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))))
        ;; Between elements, the next byte starts one (or closes the array).
        (if (i32.eqz (local.get $inElement))
          (then
            (if (i32.eq (local.get $c) (i32.const 44))
              (then (local.set $code (i32.const 3)) (br $done)))
            (if (i32.and (i32.ne (local.get $c) (i32.const 93)) (i32.ne (local.get $c) (i32.const 125)))
              (then
                (local.set $inElement (i32.const 4))
                (local.set $es (local.get $i))))))
        (if (i32.eq (local.get $c) (i32.const 34))
          (then (local.set $inString (i32.const 1)))
          (else
            (if (i32.eq (i32.and (local.get $c) (i32.const 0xdf)) (i32.const 91)) ;; `[` or `{`
              (then (local.set $depth (i32.add (local.get $depth) (i32.const 1))))
              (else
                (if (i32.eq (i32.and (local.get $c) (i32.const 0xdf)) (i32.const 93)) ;; `]` or `}`
                  (then
                    (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
                    (if (i32.lt_s (local.get $depth) (local.get $arrayDepth))
                      (then
                        (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
                        (local.set $code (select (i32.const 1) (i32.const 4) (i32.eq (local.get $c) (i32.const 93))))
                        (br $done))))
                  (else
                    (if (i32.and (i32.eq (local.get $c) (i32.const 44)) (i32.eq (local.get $depth) (local.get $arrayDepth)))
                      (then
                        (if (i32.gt_s (i32.sub (local.get $i) (local.get $es)) (local.get $maxElement))
                          (then (local.set $code (i32.const 5)) (br $done)))
                        (local.set $count (i32.add (local.get $count) (i32.const 1)))
                        (local.set $inElement (i32.const 0))
                        (if (i32.ge_s (local.get $i) (local.get $batchLimit))
                          (then (local.set $code (i32.const 2)) (br $done)))))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (global.set $pos (local.get $i))
    (global.set $depth (local.get $depth))
    (global.set $flags (i32.or (i32.or (local.get $inString) (local.get $escaped)) (local.get $inElement)))
    (global.set $elementStart (local.get $es))
    (global.set $count (local.get $count))
    (local.get $code)))
