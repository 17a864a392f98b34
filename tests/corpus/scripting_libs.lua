-- Differential corpus for the Lua libraries Redis 7.0 loads (cjson, cmsgpack, bit, struct).
-- Each "-- @@ name" line starts a script body, run by EVAL with no keys after the prelude of
-- tests/scripting_libs_cases.py (dump, hex, try). Replies are compared exactly with
-- redis-server's, error texts included. Config changes use cjson.new() so cases stay
-- independent of each other.

-- @@ lib-tables
local out = {}
for _, lib in ipairs({cjson, cmsgpack, bit, struct}) do
  local names = {}
  for k, v in pairs(lib) do names[#names + 1] = k .. '=' .. type(v) end
  table.sort(names)
  out[#out + 1] = table.concat(names, ' ')
end
return out

-- @@ lib-metadata
return {cjson._NAME, cjson._VERSION, cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT,
        cmsgpack._DESCRIPTION, type(cjson.null), tostring(cjson.null), tostring(cjson.new().null == cjson.null)}

-- @@ lib-readonly
local ok, e = pcall(function() cjson.encode = nil end)
return {tostring(ok), e}

-- @@ json-encode-scalars
return {cjson.encode('abc'), cjson.encode(12), cjson.encode(-3.5), cjson.encode(true), cjson.encode(false),
        cjson.encode(nil), cjson.encode(cjson.null), cjson.encode(''), cjson.encode(-0.0), cjson.encode(0)}

-- @@ json-encode-escapes
local s = ''
for i = 0, 255 do s = s .. string.char(i) end
return cjson.encode(s)

-- @@ json-encode-escapes-in-keys
return cjson.encode({['a/b"c\\d\n\0'] = 'x/y'})

-- @@ json-encode-utf8-passthrough
return cjson.encode({'\195\169', '\226\130\172', '\240\159\152\128', '\255\254', '\237\160\128'})

-- @@ json-encode-numbers
return cjson.encode({1, -1, 0.1, 1/3, 2/3, 1e15, 1e16, 123456789012345, 1234567890123456, 1e-5, 1e-4,
                     1e300, -1e-300, 2^53, 2^63, 2^64, 3.14159265358979, 100, 1e21, 5e-324, 0.5, 255.5})

-- @@ json-encode-number-keys
return cjson.encode({[1.5] = 'a', [-2] = 'b', [0] = 'c', [1e20] = 'd'})

-- @@ json-encode-negative-zero-inside
local t = {}
t[1] = -0.0
t[2] = 0
t[3] = 5
local o = {}
o.z = -0.0
o.p = 0
local k = {}
k[-0.0] = 1
return {cjson.encode(t), cjson.encode(o), cjson.encode(k)}

-- @@ json-encode-nan-inf
return {dump(try(cjson.encode, 0/0)), dump(try(cjson.encode, 1/0)), dump(try(cjson.encode, -1/0)),
        dump(try(cjson.encode, {1, 1/0})), dump(try(cjson.encode, {[1/0] = 1})), dump(try(cjson.encode, {a = 0/0}))}

-- @@ json-encode-invalid-numbers-on
local cj = cjson.new()
local r = {tostring(cj.encode_invalid_numbers(true))}
r[#r + 1] = cj.encode({0/0, -(0/0), 1/0, -1/0})
r[#r + 1] = tostring(cj.encode_invalid_numbers('null'))
r[#r + 1] = cj.encode({0/0, 1/0, -1/0, 1})
r[#r + 1] = tostring(cj.encode_invalid_numbers('off'))
r[#r + 1] = dump(try(cj.encode, 0/0))
r[#r + 1] = tostring(cj.encode_invalid_numbers('on'))
r[#r + 1] = tostring(cj.encode_invalid_numbers())
r[#r + 1] = dump(try(cj.encode_invalid_numbers, 'maybe'))
r[#r + 1] = dump(try(cj.encode_invalid_numbers, 1))
r[#r + 1] = dump(try(cj.encode_invalid_numbers, {}))
r[#r + 1] = dump(try(cj.encode_invalid_numbers, true, 1))
return r

-- @@ json-encode-arrays
return {cjson.encode({}), cjson.encode({{}}), cjson.encode({1, 2, 3}), cjson.encode({1, nil, 3}),
        cjson.encode({[1] = 'a', [2] = 'b', [4] = 'd'}), cjson.encode({[10] = 1}), cjson.encode({[3] = 1}),
        cjson.encode({{1, {2, {3}}}}), cjson.encode({n = {}})}

-- @@ json-encode-sparse
return {dump(try(cjson.encode, {[11] = 1})), dump(try(cjson.encode, {[1] = 1, [100] = 2})),
        dump(try(cjson.encode, {[1] = 1, [2] = 2, [5] = 3, [20] = 4})), dump(try(cjson.encode, {[2^31] = 1})),
        dump(try(cjson.encode, {[2^32 + 5] = 1})), dump(try(cjson.encode, {[2^31] = 1, [1] = 2})),
        dump(try(cjson.encode, {[1] = 1, [2^53] = 1})), dump(try(cjson.encode, {[1] = 1, [1.5] = 1})),
        dump(try(cjson.encode, {[1] = 1, [0] = 1})), dump(try(cjson.encode, {[-1] = 1})),
        dump(try(cjson.encode, {[1e9] = 1}))}

-- @@ json-encode-sparse-config
local cj = cjson.new()
local r = {dump({cj.encode_sparse_array()})}
r[#r + 1] = dump({cj.encode_sparse_array(true)})
r[#r + 1] = cj.encode({[1] = 1, [100] = 2})
r[#r + 1] = dump({cj.encode_sparse_array(false, 0)})
r[#r + 1] = cj.encode({[1] = 1, [20] = 2})
r[#r + 1] = dump({cj.encode_sparse_array(false, 1, 0)})
r[#r + 1] = dump(try(cj.encode, {[1] = 1, [3] = 2}))
r[#r + 1] = cj.encode({1, 2, 3})
r[#r + 1] = dump({cj.encode_sparse_array(nil, 3, 2)})
r[#r + 1] = dump(try(cj.encode, {[1] = 1, [4] = 2}))
r[#r + 1] = dump({cj.encode_sparse_array(false, 2147483647, 0)})
r[#r + 1] = dump(try(cj.encode, {[1] = 1, [2] = 1, [3] = 1}))
r[#r + 1] = dump(try(cj.encode_sparse_array, 1))
r[#r + 1] = dump(try(cj.encode_sparse_array, true, -1))
r[#r + 1] = dump(try(cj.encode_sparse_array, true, 1, -1))
r[#r + 1] = dump(try(cj.encode_sparse_array, true, 'x'))
r[#r + 1] = dump(try(cj.encode_sparse_array, true, 1, 1, 1))
r[#r + 1] = dump(try(cj.encode_sparse_array, 'on', '7', 2^32 + 3))
return r

-- @@ json-encode-bad-types
local function nop() end
return {dump(try(cjson.encode, {a = function() end})), dump(try(cjson.encode, nop)),
        dump(try(cjson.encode, coroutine.create(function() end))), dump(try(cjson.encode, {[true] = 1})),
        dump(try(cjson.encode, {[{}] = 1})), dump(try(cjson.encode, {[cjson.null] = 1})),
        dump(try(cjson.encode, {[nop] = 1}))}

-- @@ json-encode-args
return {dump(try(cjson.encode)), dump(try(cjson.encode, 1, 2)), dump(try(cjson.encode, nil, nil))}

-- @@ json-encode-args-named
local ok, e = pcall(function() local x = cjson.encode() return x end)
local enc = cjson.encode
local ok2, e2 = pcall(function() local x = enc(1, 2) return x end)
return {e, e2}

-- @@ json-encode-arg-error-direct
local x = cjson.encode()
return x

-- @@ json-encode-error-direct
local function nop() end
local x = cjson.encode({a = nop})
return x

-- @@ json-encode-depth
local t = {}
t[1] = t
local o = {}
o.a = o
local deep = {}
local cur = deep
for i = 1, 999 do cur[1] = {} cur = cur[1] end
local deeper = {deep}
return {dump(try(cjson.encode, t)), dump(try(cjson.encode, o)), #cjson.encode(deep), dump(try(cjson.encode, deeper))}

-- @@ json-encode-depth-config
local cj = cjson.new()
local r = {cj.encode_max_depth(), cj.encode_max_depth(3)}
r[#r + 1] = cj.encode({{{1}}})
r[#r + 1] = dump(try(cj.encode, {{{{1}}}}))
r[#r + 1] = dump(try(cj.encode_max_depth, 0))
r[#r + 1] = dump(try(cj.encode_max_depth, 2^31))
r[#r + 1] = cj.encode_max_depth(2^32 + 2)
r[#r + 1] = dump(try(cj.encode_max_depth, 'x'))
r[#r + 1] = cj.encode_max_depth('5')
r[#r + 1] = cj.encode_max_depth(7.9)
r[#r + 1] = dump(try(cj.encode_max_depth, 1, 2))
r[#r + 1] = dump(try(cj.encode_max_depth, 0/0))
return r

-- @@ json-encode-depth-cstack
local cj = cjson.new()
cj.encode_max_depth(100000)
local t = {}
t[1] = t
local o = {}
o.a = o
return {dump(try(cj.encode, t)), dump(try(cj.encode, o))}

-- @@ json-encode-precision
local cj = cjson.new()
local r = {}
for p = 1, 14 do
  cj.encode_number_precision(p)
  r[#r + 1] = cj.encode({1/3, 123456.789, 1e20, 0.000123456, -2.5, 100})
end
r[#r + 1] = dump(try(cj.encode_number_precision, 0))
r[#r + 1] = dump(try(cj.encode_number_precision, 15))
r[#r + 1] = cj.encode_number_precision()
r[#r + 1] = cj.encode(-0.0)
return r

-- @@ json-encode-keep-buffer
local cj = cjson.new()
return {tostring(cj.encode_keep_buffer()), tostring(cj.encode_keep_buffer(false)), tostring(cj.encode_keep_buffer('on')),
        cj.encode({1}), dump(try(cj.encode_keep_buffer, 'yes')), dump(try(cj.encode_keep_buffer, nil, 1))}

-- @@ json-encode-key-order
local t = {}
for i = 1, 40 do t['key' .. i] = i end
t.alpha, t.beta, t.gamma = 'a', 'b', 'c'
return cjson.encode(t)

-- @@ json-encode-mixed-table
return cjson.encode({1, 2, x = 'y'})

-- @@ json-encode-metatable-ignored
local t = setmetatable({}, {__index = function() return 1 end, __len = function() return 5 end})
return cjson.encode(t)

-- @@ json-encode-big-array
local t = {}
for i = 1, 5000 do t[i] = i % 7 == 0 and 'x' or i end
local s = cjson.encode(t)
return {#s, string.sub(s, 1, 40), redis.sha1hex(s)}

-- @@ json-decode-basic
return dump(cjson.decode('{"a":1,"b":[1,2,3],"c":{"d":null,"e":true,"f":false},"g":"str","h":-0.5e3}'))

-- @@ json-decode-scalars
return {dump(cjson.decode('1')), dump(cjson.decode('"x"')), dump(cjson.decode('true')), dump(cjson.decode('null')),
        dump(cjson.decode('  7  ')), dump(cjson.decode('\t\n\r[1]\n')), dump(cjson.decode('-0')),
        dump(cjson.decode('[-0, -0.0, 0, -0e5]')), dump(cjson.decode(12)), dump(cjson.decode(1e300))}

-- @@ json-decode-numbers
return dump(cjson.decode('[1e400, -1e400, 1e-400, 123456789012345678901234567890, 0.1, 1E2, 1e+2, 1.5E-3,' ..
  ' 9007199254740993, 18446744073709551615, -9223372036854775809, 2.2250738585072011e-308, 4.9e-324, 1.7976931348623157e308]'))

-- @@ json-decode-invalid-numbers-default-on
return {dump(try(cjson.decode, '[NaN, nan, -nan, Infinity, -Infinity, inf, -inf, INF]')),
        dump(try(cjson.decode, '[0x10, -0x10, 0X1p4, 010, -010, +1, +0x10, 1., .5, -.5]')),
        dump(try(cjson.decode, '[infinity, Inf, nan(123)]')), dump(try(cjson.decode, 'nul')),
        dump(try(cjson.decode, 'nank')), dump(try(cjson.decode, '[1.5e, 1e+]')), dump(try(cjson.decode, '-')),
        dump(try(cjson.decode, '[-x]')), dump(try(cjson.decode, '[- 1]')), dump(try(cjson.decode, '[0x]')),
        dump(try(cjson.decode, '[+]')), dump(try(cjson.decode, '[1.5.5]')), dump(try(cjson.decode, '[1e5e5]'))}

-- @@ json-decode-invalid-numbers-off
local cj = cjson.new()
local r = {tostring(cj.decode_invalid_numbers(false))}
for _, s in ipairs({'NaN', 'nan', '-nan', 'Infinity', '-Infinity', 'inf', '0x10', '-0x10', '010', '-010', '+1',
                    '1.', '.5', '-.5', '0', '-0', '0.5', '1e5', 'nul', 'n'}) do
  r[#r + 1] = s .. ' => ' .. dump(try(cj.decode, s))
end
r[#r + 1] = tostring(cj.decode_invalid_numbers())
r[#r + 1] = dump(try(cj.decode_invalid_numbers, 'null'))
return r

-- @@ json-decode-strings
return dump(cjson.decode('["\\u0041\\u00e9\\u20ac\\ud83d\\ude00", "\\"\\\\\\/\\b\\f\\n\\r\\t", "\\u0000x",' ..
  ' "a\\u0000b", "\\uD800\\uDC00", "\\uDBFF\\uDFFF", "\\u007F\\u0080\\u07ff\\u0800\\uffff"]'))

-- @@ json-decode-bad-escapes
local r = {}
for _, s in ipairs({'"\\ud800"', '"\\udc00"', '"\\ud800\\u0041"', '"\\ud800x"', '"\\ud800\\udbff"', '"\\u12"',
                    '"\\u12g4"', '"\\x41"', '"\\', '"abc', '"\\u', '"\\ud800\\', '"\\ud800\\u', '"\\a"', '"\\\'"',
                    '["ok", "\\q"]', '"\\ud83d\\ude00', '"\\U0041"'}) do
  r[#r + 1] = dump(try(cjson.decode, s))
end
return r

-- @@ json-decode-raw-bytes
return {dump(try(cjson.decode, '"\1\2\31\127"')), dump(try(cjson.decode, '"\255\254\128"')),
        dump(try(cjson.decode, '"\237\160\128"')), dump(try(cjson.decode, '["\195\169", "\240\159\152\128"]')),
        dump(try(cjson.decode, '\239\187\191[1]')), dump(try(cjson.decode, '{"\255":1}')),
        dump(try(cjson.decode, '["a\tb", "a\nb"]'))}

-- @@ json-decode-nul-bytes
return {dump(try(cjson.decode, '[1]\0garbage')), dump(try(cjson.decode, '"ab\0cd"')), dump(try(cjson.decode, '\0')),
        dump(try(cjson.decode, '1\0')), dump(try(cjson.decode, '\0\0')), dump(try(cjson.decode, '[\0]')),
        dump(try(cjson.decode, 'a\0')), dump(try(cjson.decode, ' \0[1]')), dump(try(cjson.decode, '{"a\0b":1}'))}

-- @@ json-decode-malformed
local r = {}
for _, s in ipairs({'', ' ', '{', '}', '[', ']', '[1,]', '[,1]', '[1 2]', '{"a"}', '{"a":}', '{"a" 1}', '{a:1}',
                    '{"a":1,}', '{"a":1 "b":2}', '{1:2}', '[1]]', '[1] [2]', 'tru', 'True', 'falsey', 'nulls',
                    '"abc" x', '{"a":[1,{"b":}]}', '[[[]]', '{"a":{"b":{"c":[1,2,}}}', ':', ',', '[:]', '@',
                    '[1,\n2,\n\t@]', '{"a":1}}', 'nan', '-', '--1', '1-1', '[1e]', '{"a":true false}'}) do
  r[#r + 1] = string.format('%q', s) .. ' => ' .. dump(try(cjson.decode, s))
end
return r

-- @@ json-decode-lenient-inputs
local docs = {'{"a":"x\ty","b":NaN,"c":"\255","d":[Infinity,-Infinity],"e":"\\u00e9\255","f":"\\ud83d\\ude00"}',
              '{"k1":1,"k2":"\1\2","k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":"\254"}',
              '["\255", -0, 1]', '["\255", "\\ud800"]', '["\255", "a\0b"]', '["\n\r", NaN]',
              '[12345678901234567890123, "\200"]', '{"a":1,"a":"\255","b":2}'}
local r = {}
for _, d in ipairs(docs) do
  local ok, t = pcall(cjson.decode, d)
  r[#r + 1] = dump({ok, t})
  if ok then r[#r + 1] = cjson.encode(t) end
end
local cj = cjson.new()
cj.decode_invalid_numbers(false)
r[#r + 1] = dump(try(cj.decode, '["\t", NaN]'))
r[#r + 1] = dump(try(cj.decode, '["\t", Infinity]'))
r[#r + 1] = dump(try(cj.decode, '["\t", 1]'))
return r

-- @@ json-decode-deep-binary
local s = string.rep('[', 300) .. '"\255"' .. string.rep(']', 300)
return {#cjson.encode(cjson.decode(s)), #dump(cjson.decode(string.rep('{"a":', 300) .. '1' .. string.rep('}', 300)))}

-- @@ json-decode-utf16
return {dump(try(cjson.decode, '\0[\0]')), dump(try(cjson.decode, '[\0]\0')), dump(try(cjson.decode, 'a\0b'))}

-- @@ json-decode-args
local function nop() end
return {dump(try(cjson.decode)), dump(try(cjson.decode, '1', '2')), dump(try(cjson.decode, {})),
        dump(try(cjson.decode, nil)), dump(try(cjson.decode, true)), dump(try(cjson.decode, nop))}

-- @@ json-decode-error-direct
local x = cjson.decode('{"a":')
return x

-- @@ json-decode-arg-error-direct
local x = cjson.decode({})
return x

-- @@ json-decode-depth
return {#dump(cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000))),
        dump(try(cjson.decode, string.rep('[', 1001) .. string.rep(']', 1001))),
        dump(try(cjson.decode, string.rep('{"a":', 1001) .. '1' .. string.rep('}', 1001))),
        #dump(cjson.decode(string.rep('{"a":', 1000) .. '1' .. string.rep('}', 1000))),
        dump(try(cjson.decode, string.rep('[', 1001)))}

-- @@ json-decode-depth-config
local cj = cjson.new()
local r = {cj.decode_max_depth(), cj.decode_max_depth(2)}
r[#r + 1] = dump(try(cj.decode, '[[1]]'))
r[#r + 1] = dump(try(cj.decode, '[[[1]]]'))
r[#r + 1] = dump(try(cj.decode, '{"a":{"b":{}}}'))
r[#r + 1] = dump(try(cj.decode, '[{"a":[]}]'))
r[#r + 1] = dump(try(cj.decode_max_depth, 0))
return r

-- @@ json-decode-depth-cstack
local cj = cjson.new()
cj.decode_max_depth(100000)
return {dump(try(cj.decode, string.rep('[', 10000))), dump(try(cj.decode, string.rep('{"a":', 10000))),
        dump(try(cj.decode, string.rep('[{"a":', 3000))), #cj.encode(cj.decode(string.rep('[', 3000) .. string.rep(']', 3000)))}

-- @@ json-decode-key-order-roundtrip
return cjson.encode(cjson.decode('{"zeta":1,"alpha":2,"mid":{"x":1,"y":2,"z":3,"w":4,"v":5},"k1":1,"k2":2,' ..
  '"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,' ..
  '"k16":16,"k17":17,"k18":18,"k19":19,"k20":20}'))

-- @@ json-decode-duplicate-keys
local t = cjson.decode('{"a":1,"b":2,"a":3,"c":4,"b":null}')
return {dump(t), cjson.encode(t)}

-- @@ json-decode-key-order-slow-path
return cjson.encode(cjson.decode('{"zeta":NaN,"alpha":2,"mid":{"x":1,"y":2,"z":3,"w":4,"v":5},"k1":1,"k2":2,' ..
  '"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,' ..
  '"k16":16,"k17":17,"k18":18,"k19":19,"k20":20,"bin":"\255"}'):gsub('"zeta":[^,]*,', ''))

-- @@ json-decode-pairs-order
local t = cjson.decode('{"one":1,"two":2,"three":3,"four":4,"five":5,"six":6,"seven":7,"eight":8,"nine":9}')
local keys = {}
for k in pairs(t) do keys[#keys + 1] = k end
return keys

-- @@ json-decode-array-with-nulls
local t = cjson.decode('[1,null,3,null]')
return {#t, dump(t), cjson.encode(t)}

-- @@ json-decode-null-in-reply
return cjson.decode('[1,null,2]')

-- @@ json-decode-returned-directly
return cjson.decode('{"a":1,"b":[true,false,"x",1.5]}')

-- @@ json-roundtrip
local doc = '{"name":"x","list":[1,2.5,"three",[4],{"five":5}],"flag":true,"none":null,"esc":"a/b\\"c\\\\d\\n","u":"\\u00e9"}'
local once = cjson.encode(cjson.decode(doc))
return {once, cjson.encode(cjson.decode(once))}

-- @@ json-new-instances
local a, b = cjson.new(), cjson.new()
a.encode_number_precision(3)
return {a.encode(1/3), b.encode(1/3), cjson.encode(1/3), tostring(a.null == cjson.null), type(a.new),
        a._VERSION, tostring(a == b)}

-- @@ json-config-too-many-args
local r = {}
for _, f in ipairs({'encode_max_depth', 'decode_max_depth', 'encode_number_precision', 'encode_keep_buffer',
                    'encode_invalid_numbers', 'decode_invalid_numbers'}) do
  r[#r + 1] = f .. ' ' .. dump(try(cjson.new()[f], 1, 2))
end
return r

-- @@ json-config-method-call
local ok, e = pcall(function() local x = cjson:encode_max_depth() return x end)
return {tostring(ok), e}

-- @@ msgpack-pack-numbers
return hex(cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 2^53, 2^63 - 1024,
                         -1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, -2^63, -2^64))

-- @@ msgpack-pack-floats
return hex(cmsgpack.pack(1.5, -0.25, 0.1, 1/3, 1e300, -1e-300, 2^63, 2^64, 1/0, -1/0, 0/0, -(0/0), -0.0, 3.4e38,
                         3.5e38, 1e-45, 2^-149, 2^-150, 16777217.5))

-- @@ msgpack-pack-strings
local r = {}
for _, n in ipairs({0, 1, 31, 32, 255, 256, 65535, 65536}) do
  local p = cmsgpack.pack(string.rep('x', n))
  r[#r + 1] = n .. ':' .. #p .. ':' .. hex(string.sub(p, 1, 6))
end
r[#r + 1] = hex(cmsgpack.pack('\0\255'))
return r

-- @@ msgpack-pack-tables
return {hex(cmsgpack.pack({})), hex(cmsgpack.pack({1, 2, 3})), hex(cmsgpack.pack({1, nil, 3})),
        hex(cmsgpack.pack({[1] = 1, [3] = 3})), hex(cmsgpack.pack({[1.5] = 1})), hex(cmsgpack.pack({[2^31] = 1})),
        hex(cmsgpack.pack({[0] = 1})), hex(cmsgpack.pack({[-1] = 1})), hex(cmsgpack.pack({a = {b = {}}})),
        hex(cmsgpack.pack({1, 2, x = 3})), hex(cmsgpack.pack({[true] = false})), hex(cmsgpack.pack({{}, {{}}})),
        hex(cmsgpack.pack({[1] = 'a', [2] = 'b', [2147483647] = 'c'}))}

-- @@ msgpack-pack-big-containers
local a, m = {}, {}
for i = 1, 70000 do a[i] = i % 3 end
for i = 1, 20 do m['k' .. i] = i end
local pa, pm = cmsgpack.pack(a), cmsgpack.pack(m)
local a16 = {}
for i = 1, 16 do a16[i] = true end
return {#pa, hex(string.sub(pa, 1, 8)), redis.sha1hex(pa), hex(pm), hex(cmsgpack.pack(a16))}

-- @@ msgpack-pack-key-order
local t = {}
for i = 1, 30 do t['field' .. i] = i end
return hex(cmsgpack.pack(t))

-- @@ msgpack-pack-other-types
local function nop() end
return hex(cmsgpack.pack(nil, true, false, nop, cjson.null, coroutine.create(function() end), {nop}))

-- @@ msgpack-pack-nesting
local t = {}
t[1] = t
local o = {}
o.a = o
local k = {}
k[k] = 1
return {hex(cmsgpack.pack(t)), hex(cmsgpack.pack(o)), #cmsgpack.pack(k)}

-- @@ msgpack-pack-args
return {dump(try(cmsgpack.pack)), hex(cmsgpack.pack(nil)), hex(cmsgpack.pack(nil, nil)), hex(cmsgpack.pack(1, 'a', {}))}

-- @@ msgpack-pack-too-many-args
local t = {}
for i = 1, 4001 do t[i] = i end
local ok, e = pcall(cmsgpack.pack, unpack(t))
local t2 = {}
for i = 1, 4000 do t2[i] = i % 200 end
return {tostring(ok), e, #cmsgpack.pack(unpack(t2))}

-- @@ msgpack-pack-error-direct
local x = cmsgpack.pack()
return x

-- @@ msgpack-unpack-roundtrip
local v = {1, -1, 1.5, 'str', true, false, {a = 1, b = {1, 2}}, {}, 2^40, -2^40, string.rep('y', 300)}
return dump({cmsgpack.unpack(cmsgpack.pack(unpack(v)))})

-- @@ msgpack-unpack-encodings
local r = {}
for _, s in ipairs({'\204\255', '\208\255', '\205\255\255', '\209\128\0', '\206\255\255\255\255', '\210\128\0\0\0',
                    '\207\255\255\255\255\255\255\255\255', '\207\127\255\255\255\255\255\255\255',
                    '\211\128\0\0\0\0\0\0\0', '\211\0\32\0\0\0\0\0\1', '\202\63\192\0\0', '\202\127\192\0\1',
                    '\203\63\248\0\0\0\0\0\0', '\203\255\240\0\0\0\0\0\0', '\192', '\194', '\195', '\127', '\224',
                    '\255', '\161a', '\217\2ab', '\218\0\2ab', '\219\0\0\0\2ab', '\146\1\2', '\220\0\2\1\2',
                    '\221\0\0\0\1\1', '\129\161a\1', '\222\0\1\1\2', '\223\0\0\0\1\1\2', '\144', '\128', '\220\0\0'}) do
  r[#r + 1] = hex(s) .. ' => ' .. dump(try(cmsgpack.unpack, s))
end
return r

-- @@ msgpack-unpack-bad
local r = {}
for _, s in ipairs({'', '\193', '\196\1a', '\197\0\1a', '\199\1\1a', '\212\1\1', '\216\1', '\204', '\205\1',
                    '\206\1\2\3', '\207', '\203\1\2', '\217', '\217\5ab', '\218\0', '\218\0\5ab', '\219\0\0\0\9ab',
                    '\146\1', '\220\0\3\1\2', '\221\255\255\255\255\1', '\129\1', '\223\255\255\255\255\1\2',
                    '\129\192\1', '\129\203\255\248\0\0\0\0\0\0\1', '\129\203\127\248\0\0\0\0\0\0\1',
                    '\130\1\1\192\1', '\129\1\192', '\147\192\192\1', '\1\193', '\1\2\196'}) do
  r[#r + 1] = hex(s) .. ' => ' .. dump(try(cmsgpack.unpack, s))
end
return r

-- @@ msgpack-unpack-nil-key-direct
local x = cmsgpack.unpack('\129\192\1')
return x

-- @@ msgpack-unpack-missing-direct
local x = cmsgpack.unpack('\146\1')
return x

-- @@ msgpack-unpack-map-keys
local t = cmsgpack.unpack('\134\195\1\1\2\194\3\0\4\203\63\248\0\0\0\0\0\0\5\145\1\6')
local r = {}
for k, v in pairs(t) do r[#r + 1] = type(k) .. ':' .. dump(v) end
table.sort(r)
return {dump(t[true]), dump(t[1]), dump(t[false]), dump(t[0]), dump(t[1.5]), r}

-- @@ msgpack-unpack-map-duplicates
local t = cmsgpack.unpack('\132\161a\1\161b\2\161a\3\161c\192')
local keys = {}
for k, v in pairs(t) do keys[#keys + 1] = k .. '=' .. tostring(v) end
return {dump(t), keys}

-- @@ msgpack-unpack-key-order
local parts = {}
for i = 1, 20 do parts[#parts + 1] = cmsgpack.pack('key' .. i) .. cmsgpack.pack(i) end
local t = cmsgpack.unpack('\222\0\20' .. table.concat(parts))
local keys = {}
for k in pairs(t) do keys[#keys + 1] = k end
return keys

-- @@ msgpack-unpack-one-limit
local s = '\1\2\3'
return {dump({cmsgpack.unpack_one(s)}), dump({cmsgpack.unpack_one(s, 1)}), dump({cmsgpack.unpack_one(s, 2)}),
        dump({cmsgpack.unpack_one(s, 3)}), dump(try(cmsgpack.unpack_one, s, 4)), dump(try(cmsgpack.unpack_one, s, -1)),
        dump({cmsgpack.unpack_limit(s, 0)}), dump({cmsgpack.unpack_limit(s, 2)}), dump({cmsgpack.unpack_limit(s, 2, 1)}),
        dump({cmsgpack.unpack_limit(s, 5, 0)}), dump(try(cmsgpack.unpack_limit, s, -1, 1)),
        dump(try(cmsgpack.unpack_limit, s, 1, -7)), dump({cmsgpack.unpack_limit(s, 0, 1)}),
        dump({cmsgpack.unpack_one(s, '1')}), dump({cmsgpack.unpack_one(s, 1.9)}), dump({cmsgpack.unpack_one(s, nil)}),
        dump(try(cmsgpack.unpack_one, s, 'x')), dump(try(cmsgpack.unpack_limit, s)), dump(try(cmsgpack.unpack_limit, s, {})),
        dump(try(cmsgpack.unpack_one)), dump(try(cmsgpack.unpack_one, nil, 1)), dump(try(cmsgpack.unpack_limit, {}, 1)),
        dump(try(cmsgpack.unpack_limit, s, 2^40)), dump(try(cmsgpack.unpack_one, s, 2^32 + 1)),
        dump(try(cmsgpack.unpack_one, '\146\1', 0)), dump({cmsgpack.unpack_one(123)}), dump({cmsgpack.unpack_limit('', 1)})}

-- @@ msgpack-unpack-args
return {dump(try(cmsgpack.unpack)), dump(try(cmsgpack.unpack, nil)), dump(try(cmsgpack.unpack, {})),
        dump({cmsgpack.unpack(12)}), dump({cmsgpack.unpack('\1', 'ignored', 3)})}

-- @@ msgpack-unpack-many-values
local ok1, n1 = pcall(function() return #{cmsgpack.unpack(string.rep('\1', 7999))} end)
local ok2, e2 = pcall(function() return #{cmsgpack.unpack(string.rep('\1', 8000))} end)
local ok3, e3 = pcall(function() return #{cmsgpack.unpack(string.rep('\1', 7998), 'x')} end)
local ok4, e4 = pcall(function() return #{cmsgpack.unpack(string.rep('\1', 7998), 'x', 'y')} end)
local ok5, e5 = pcall(function() return #{cmsgpack.unpack_limit(string.rep('\1', 9000), 7998)} end)
local ok6, e6 = pcall(function() return #{cmsgpack.unpack_limit(string.rep('\1', 9000), 7999)} end)
return {tostring(ok1), n1, tostring(ok2), e2, tostring(ok3), e3, tostring(ok4), e4, tostring(ok5), e5, tostring(ok6), e6}

-- @@ msgpack-unpack-deep
return {dump(try(cmsgpack.unpack, string.rep('\145', 3999) .. '\1') ~= nil),
        dump(try(function(s) return #cmsgpack.pack(cmsgpack.unpack(s)) end, string.rep('\145', 3998) .. '\1')),
        dump(try(cmsgpack.unpack, string.rep('\145', 4000) .. '\1')),
        dump(try(function(s) return #cmsgpack.pack(cmsgpack.unpack(s)) end, string.rep('\129', 7997) .. '\1' .. string.rep('\1', 7997))),
        dump(try(cmsgpack.unpack, string.rep('\129', 7998) .. '\1' .. string.rep('\1', 7998))),
        dump(try(cmsgpack.unpack, string.rep('\129\1', 5000) .. '\1'))}

-- @@ msgpack-unpack-huge-declared-lengths
return {dump(try(cmsgpack.unpack, '\221\127\255\255\255')), dump(try(cmsgpack.unpack, '\223\127\255\255\255\1')),
        dump(try(cmsgpack.unpack, '\219\255\255\255\255abc')), dump(try(cmsgpack.unpack, '\221\0\1\0\0' .. string.rep('\192', 65535)))}

-- @@ msgpack-unpack-returned-directly
return cmsgpack.unpack(cmsgpack.pack({1, 2, {3}}))

-- @@ bit-basic
return {bit.tobit(2^32 + 5), bit.tobit(2^31), bit.tobit(-1), bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-2.5),
        bit.tobit(2^52 + 3), bit.tobit(2^53 + 3), bit.tobit(-2^52 - 3), bit.tobit(1e300), bit.tobit(2^70 + 2^40 + 7),
        bit.tobit('0x10'), bit.tobit(' 12 '), bit.tobit(1/0), bit.tobit(0/0), bit.tobit(-6755399441055744),
        bit.tobit(-2^51), bit.tobit(-2^51 - 0.5), bit.tobit(2^51 + 0.5), bit.tobit('1e3'), bit.tobit(-1/0)}

-- @@ bit-ops
return {bit.band(0xff, 0x0f, 0x3), bit.bor(1, 2, 4), bit.bxor(0xff, 0x0f), bit.bnot(0), bit.lshift(1, 31),
        bit.lshift(1, 32), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.rol(0x80000001, 1), bit.ror(1, 1),
        bit.bswap(0x12345678), bit.lshift(3, -1), bit.band(-1, -1), bit.bor(-2^31, 1), bit.bxor(-1, 0x55555555),
        bit.band(1), bit.bor(7), bit.bxor(5), bit.arshift(0x80000000, 31), bit.rshift(0x80000000, 31),
        bit.rol(0x12345678, 0), bit.ror(0x12345678, 32), bit.rol(0x12345678, 36), bit.ror(0x12345678, -4),
        bit.bswap(-1), bit.bswap(0x80), bit.bnot(-1), bit.bnot(0x7fffffff), bit.band('255', '15'),
        bit.band(0xdeadbeef, 0xffff0000, 0xff00ff00, 0xf0f0f0f0), bit.bor(0, 0, 0, 0, 2^31)}

-- @@ bit-tohex
return {bit.tohex(-1), bit.tohex(255, 2), bit.tohex(255, -2), bit.tohex(255, 0), bit.tohex(0x12345678, 10),
        bit.tohex(1, -2^31), bit.tohex(0xabcdef, -8), bit.tohex(0xabcdef, 3), bit.tohex(2^32 + 10), bit.tohex('31'),
        bit.tohex(1, 2^31), bit.tohex(1, '4'), bit.tohex(0x7fffffff, 9)}

-- @@ bit-errors
local function nop() end
local r = {}
local calls = {
  function() local x = bit.band() return x end, function() local x = bit.band(1, nil) return x end,
  function() local x = bit.band(1, 'x', {}) return x end, function() local x = bit.tohex(1, nil) return x end,
  function() local x = bit.tohex(1, true) return x end, function() local x = bit.lshift(1) return x end,
  function() local x = bit.tobit() return x end, function() local x = bit.tobit('x') return x end,
  function() local x = bit.bnot({}) return x end, function() local x = bit.bswap(nil) return x end,
  function() local x = bit.rol('a', 1) return x end, function() local x = bit.ror(1, nop) return x end,
}
for _, f in ipairs(calls) do
  local ok, e = pcall(f)
  r[#r + 1] = e
end
return r

-- @@ bit-error-direct
local x = bit.band(1, {})
return x

-- @@ bit-error-local-name
local b = bit.bor
local x = b(1, {})
return x

-- @@ bit-error-method
local x = bit:band(2)
return x

-- @@ bit-error-pcall
local ok, e = pcall(bit.bor, 1, {})
return e

-- @@ bit-many-args
local t = {}
for i = 1, 200 do t[i] = 2^(i % 32) end
return {bit.bor(unpack(t)), bit.band(unpack(t)), bit.bxor(unpack(t))}

-- @@ struct-pack-integers
return {hex(struct.pack('bBhHlLTiI', -1, 255, -2, 65535, -3, 2^64 - 2048, 7, -4, 2^32 - 1)),
        hex(struct.pack('>bBhHlLTiI', -1, 255, -2, 65535, -3, 2^63, 7, -4, 2^32 - 1)),
        hex(struct.pack('<i1i2i3i5i8i9i16i32', 1, 2, 3, 5, 8, 9, 16, 32)),
        hex(struct.pack('>i3I5i12', -2, 2^39, -2)), hex(struct.pack('<i16', -1)), hex(struct.pack('<b', 300)),
        hex(struct.pack('<b', -129)), hex(struct.pack('<B', 1.9)), hex(struct.pack('<b', -1.9)), hex(struct.pack('<i0', 5))}

-- @@ struct-pack-out-of-range
return {hex(struct.pack('>L', 2^64)), hex(struct.pack('>L', 0/0)), hex(struct.pack('>L', 1/0)),
        hex(struct.pack('>l', 2^63)), hex(struct.pack('>l', -1/0)), hex(struct.pack('>L', -1)),
        hex(struct.pack('>L', 2^63 + 2^62)), hex(struct.pack('>L', -(0/0))), hex(struct.pack('>l', 0/0)),
        hex(struct.pack('>L', -2^70)), hex(struct.pack('>L', 2^70)), hex(struct.pack('>L', 1.9e19)),
        hex(struct.pack('>i', 2^40 + 5)), hex(struct.pack('>I', -5))}

-- @@ struct-pack-floats
return {hex(struct.pack('<d', -0.0)), hex(struct.pack('<f', -0.0)), hex(struct.pack('<f', 1e300)), hex(struct.pack('<f', -1e300)),
        hex(struct.pack('>f', 0/0)), hex(struct.pack('>d', 0/0)), hex(struct.pack('>d', -(0/0))), hex(struct.pack('>f', 1/3)),
        hex(struct.pack('>d', 1/3)), hex(struct.pack('<f', 3.4028235e38)), hex(struct.pack('<f', 3.4028236e38)),
        hex(struct.pack('<f', 1e-46)), hex(struct.pack('>fd', '1.5', '0x10'))}

-- @@ struct-pack-strings
return {hex(struct.pack('c3', 'abcdef')), hex(struct.pack('c0', 'abc')), hex(struct.pack('s', 'ab')), hex(struct.pack('c0s', '', '')),
        hex(struct.pack('s', 12.5)), hex(struct.pack('c2', 123)), hex(struct.pack('s', -0.0)), hex(struct.pack('sc0', 'a\0b', 'z')),
        dump(try(struct.pack, 'c5', 'abc')), dump(try(struct.pack, 'ic5', 1, 'abc')), dump(try(struct.pack, 's', {})),
        dump(try(struct.pack, 'c2')), dump(try(struct.pack, 'c2000000000', 'x'))}

-- @@ struct-pack-alignment
return {hex(struct.pack('!4bi', 1, 2)), hex(struct.pack('!bi', 1, 2)), hex(struct.pack('!2bibd', 1, 2, 3, 4)),
        hex(struct.pack('!8i3b', 1, 2)), hex(struct.pack('>!16bd', 1, 2)), hex(struct.pack('!bxh', 1, 2)),
        hex(struct.pack('!4bc3i', 1, 'abc', 2)), hex(struct.pack('!4bsi', 1, 'ab', 2)), hex(struct.pack('!1bd', 1, 2)),
        hex(struct.pack('! b h', 1, 2)), dump(try(struct.pack, '!3b', 1)), dump(try(struct.pack, '!0b', 1)),
        hex(struct.pack('!1073741824bd', 1, 2))}

-- @@ struct-pack-format-errors
return {dump(try(struct.pack, 'z')), dump(try(struct.pack, '=i', 1)), dump(try(struct.pack, 'b5', 1)),
        dump(try(struct.pack, 'i40')), dump(try(struct.pack, 'i1000000000000')), dump(try(struct.pack, 'c99999999999', 'x')),
        dump(try(struct.pack, '!99999999999')), dump(try(struct.pack, '\255')), dump(try(struct.pack, 12)),
        dump(try(struct.pack, nil)), dump(try(struct.pack)), dump(try(struct.pack, 'i')), dump(try(struct.pack, 'i', {})),
        dump(try(struct.pack, 'i', 'x')), hex(struct.pack('i', '0x10')), hex(struct.pack('i', ' 12 ')),
        hex(struct.pack('b\0zzz', 1)), hex(struct.pack('')), dump(try(struct.pack, 'i2147483647')),
        dump(try(struct.pack, 'i2147483648'))}

-- @@ struct-pack-error-direct
local x = struct.pack('i', {})
return x

-- @@ struct-unpack-basic
local p = struct.pack('>bBhHlLiIfdc3s', -1, 255, -2, 65535, -3, 12345678901, -4, 4000000000, 1.5, 2.25, 'abc', 'zz')
return dump({struct.unpack('>bBhHlLiIfdc3s', p)})

-- @@ struct-unpack-integers
return {dump({struct.unpack('<i9', '\128\0\0\0\0\0\0\0\0')}), dump({struct.unpack('<i9', '\0\0\0\0\0\0\0\0\128')}),
        dump({struct.unpack('<i16', '\128' .. string.rep('\0', 15))}), dump({struct.unpack('<i10', '\0\128' .. string.rep('\0', 8))}),
        dump({struct.unpack('<i0', '')}), dump({struct.unpack('<i32', string.rep('\0', 31) .. '\128')}),
        dump({struct.unpack('>I12', '\0\0\0\0\0\0\0\0\0\0\0\1')}), dump({struct.unpack('<I12', '\1\0\0\0\0\0\0\0\2\0\0\0')}),
        dump({struct.unpack('>L', '\255\255\255\255\255\255\255\255')}), dump({struct.unpack('>l', '\128\0\0\0\0\0\0\0')}),
        dump({struct.unpack('>T', '\0\0\0\0\0\0\1\0')}), dump({struct.unpack('>i3', '\255\255\254')}),
        dump({struct.unpack('>I3', '\255\255\254')}), dump({struct.unpack('>L', '\128\0\0\0\0\0\0\1')})}

-- @@ struct-unpack-floats
return {dump({struct.unpack('>f', '\255\192\0\0')}), dump({struct.unpack('<d', struct.pack('<d', 1/3))}),
        dump({struct.unpack('>f', '\127\128\0\0')}), dump({struct.unpack('>d', '\128\0\0\0\0\0\0\0')}),
        dump({struct.unpack('>f', '\0\0\0\1')})}

-- @@ struct-unpack-strings
return {dump({struct.unpack('c1c0', '3abcdef')}), dump(try(struct.unpack, 'c0', 'abc')), dump({struct.unpack('bc0', '\3abc')}),
        dump(try(struct.unpack, 'bc0', '\255abc')), dump({struct.unpack('s', 'ab\0cd')}), dump(try(struct.unpack, 's', 'abc')),
        dump({struct.unpack('ss', 'a\0\0')}), dump({struct.unpack('c1c0', '2.5abc')}), dump(try(struct.unpack, 'c1c0', 'xabc')),
        dump(try(struct.unpack, 'Bc0c0', '\2ab')), dump(try(struct.unpack, 'c0', 'abc', 1)), dump({struct.unpack('dc0', struct.pack('d', 2.9) .. 'abc')}),
        dump(try(struct.unpack, 'bc0', '\5ab')), dump({struct.unpack('c1 c0', '1xyz')}), dump({struct.unpack('c1c0', '0x2abc')})}

-- @@ struct-unpack-positions
return {dump({struct.unpack('b', 'abc', 2)}), dump({struct.unpack('', 'abc', -5)}), dump({struct.unpack('', 'abc', 2^63)}),
        dump(try(struct.unpack, 'i', 'abc', 0)), dump(try(struct.unpack, 'i', 'abc', -1)), dump(try(struct.unpack, 'b', 'abc', 4)),
        dump({struct.unpack('b', 'abc', 3)}), dump({struct.unpack('', 'abc', 4)}), dump({struct.unpack('', 'abc', 100)}),
        dump(try(struct.unpack, 'b', 'abc', 'x')), dump({struct.unpack('b', 'abc', '2')}), dump({struct.unpack('b', 'abc', 2.9)}),
        dump({struct.unpack('!4bi', '\1\0\0\0\2\0\0\0')}), dump({struct.unpack('!4bi', 'xx\1\0\0\0\2\0\0\0', 3)}),
        dump(try(struct.unpack, 'i', 'abc', 1/0)), dump(try(struct.unpack, 'b', 'abc', nil))}

-- @@ struct-unpack-errors
return {dump(try(struct.unpack)), dump(try(struct.unpack, 'i')), dump(try(struct.unpack, 'i', {})),
        dump(try(struct.unpack, {}, 'abcd')), dump(try(struct.unpack, 'z', 'abcd')), dump(try(struct.unpack, 'i40', 'x')),
        dump(try(struct.unpack, 'c2000000000', 'abc')), dump(try(struct.unpack, 'i', 1234)), dump(try(struct.unpack, 5, '12345')),
        dump(try(struct.unpack, '!3i', 'abcd')), dump({struct.unpack('x', 'a')}), dump(try(struct.unpack, 'x', ''))}

-- @@ struct-unpack-error-direct
local x = struct.unpack('i', 'ab')
return x

-- @@ struct-unpack-many-results
local ok1, n1 = pcall(function() return #{struct.unpack(string.rep('b', 7990), string.rep('\1', 7990))} end)
local ok2, e2 = pcall(function() return #{struct.unpack(string.rep('b', 7998), string.rep('\1', 7998))} end)
local ok3, e3 = pcall(function() return #{struct.unpack(string.rep('b', 7997), string.rep('\1', 7997))} end)
local ok4, e4 = pcall(function() return #{struct.unpack(string.rep('b', 7996), string.rep('\1', 7996), 1)} end)
return {tostring(ok1), n1, tostring(ok2), e2, tostring(ok3), e3, tostring(ok4), e4}

-- @@ struct-size
return {struct.size(''), struct.size('bhilfdT'), struct.size('!bhilfd'), struct.size('!4bd'), struct.size('i3i5c7'),
        struct.size('z5q'), struct.size('x x'), struct.size('<>!'), dump(try(struct.size, 's')), dump(try(struct.size, 'c0')),
        dump(try(struct.size, 'c')), dump(try(struct.size, '=')), dump(try(struct.size, '!3')), dump(try(struct.size, 'i33')),
        dump(try(struct.size, 12)), dump(try(struct.size)), struct.size('c2147483647'), struct.size('c2147483647c2147483647'),
        dump(try(struct.size, '\200'))}

-- @@ struct-roundtrip
local fmt = '<!4bxhiLfdc4s'
local p = struct.pack(fmt, -5, 300, -70000, 2^40, 0.5, 1e100, 'wxyz', 'tail')
return {hex(p), struct.size('<!4bxhiLfdc4'), dump({struct.unpack(fmt, p)})}

-- @@ tail-call-success
return cjson.encode({1, 2})

-- @@ libs-in-pcall-chains
local ok, e = pcall(cjson.decode, '[1,2')
local ok2, e2 = pcall(cmsgpack.unpack, '\146')
local ok3, e3 = pcall(struct.unpack, 'i', '')
local ok4, e4 = pcall(bit.band, {})
return {e, e2, e3, e4}

-- @@ libs-error-in-nested-function
local function f(s) local t = cjson.decode(s) return t end
local function g(s)
  local v = f(s)
  return v
end
local ok, e = pcall(g, '{bad}')
local x = g('[1')
return {e, x}
