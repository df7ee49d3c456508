import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertGolden } from '../../../test/helpers/golden.ts';
import { BerthError } from '../../common/errors.ts';
import { executePartial, parseTemplate, renderTemplate } from './template.ts';

const golden = (name: string) => new URL(`testdata/${name}`, import.meta.url).pathname;

class Row {
  static goName = 'formatter.ContainerContext';
  readonly ID = '0123456789ab';
  get Names(): string {
    return 'web';
  }
  Label(key: string): string {
    return key === 'app' ? 'shop' : '';
  }
  String(): string {
    return 'row web';
  }
}

const inspect = {
  Id: 'sha256:0123456789abcdef',
  RepoTags: ['busybox:latest', 'busybox:1.36'],
  Size: 4261000,
  Ratio: 0.25,
  Big: 1e6,
  Config: {
    Env: ['PATH=/usr/bin', 'HOME=/root'],
    Labels: { 'com.example.b': '2', 'com.example.a': '1' },
    Entrypoint: null,
    Cmd: ['sh'],
  },
  RootFS: { Type: 'layers', Layers: ['sha256:aaa', 'sha256:bbb'] },
  State: { Running: true, Status: 'running', Health: null },
  Empty: [],
  Text: 'a <b> & "c"',
};

// [name, template, data, expected]
const cases: [string, string, unknown, string][] = [
  ['field', '{{.Id}}', inspect, 'sha256:0123456789abcdef'],
  ['nested field', '{{.Config.Cmd}}', inspect, '[sh]'],
  ['slice prints like Go', '{{.Config.Env}}', inspect, '[PATH=/usr/bin HOME=/root]'],
  ['map prints sorted', '{{.Config.Labels}}', inspect, 'map[com.example.a:1 com.example.b:2]'],
  ['nested map', '{{.RootFS}}', inspect, 'map[Layers:[sha256:aaa sha256:bbb] Type:layers]'],
  ['missing map key', '{{.Nope}}', inspect, '<no value>'],
  ['field of missing key', '{{.Nope.Deeper}}', inspect, '<no value>'],
  ['null is a nil pointer', '{{.State.Health}}', inspect, '<nil>'],
  ['dot', '{{.}}', 'hello', 'hello'],
  ['dot of nil', '{{.}}', null, '<nil>'],
  ['integer', '{{.Size}}', inspect, '4261000'],
  ['float', '{{.Ratio}}', inspect, '0.25'],
  ['large float like Go', '{{.Big}} {{.Small}}', { Big: 1234567.5, Small: 0.00001 }, '1.2345675e+06 1e-05'],
  ['bool', '{{.State.Running}}', inspect, 'true'],
  ['string literal', '{{"a\\tb"}}', null, 'a\tb'],
  ['raw string literal', '{{`a\\tb`}}', null, 'a\\tb'],
  ['char literal', "{{'a'}}", null, '97'],
  ['number literals', '{{0x1F}} {{-3}} {{1_000}} {{0o17}}', null, '31 -3 1000 15'],
  ['bool and nil literals', '{{true}} {{false}}', null, 'true false'],
  ['struct fields and getters', '{{.ID}} {{.Names}}', new Row(), '0123456789ab web'],
  ['struct method with argument', '{{.Label "app"}}', new Row(), 'shop'],
  ['pipeline into method', '{{"app" | .Label}}', new Row(), 'shop'],
  ['struct printed through String()', '{{.}}', new Row(), 'row web'],
  ['pipeline', '{{.Id | printf "%.12s"}}', inspect, 'sha256:01234'],
  ['pipeline chain', '{{"ABC" | lower | printf "%s!"}}', null, 'abc!'],
  ['parenthesized', '{{len (split "a,b,c" ",")}}', null, '3'],
  [
    'field of parenthesized',
    '{{(index .RootFS.Layers 1)}} {{(index .Items 0).Name}}',
    { ...inspect, Items: [{ Name: 'x' }] },
    'sha256:bbb x',
  ],
  ['json', '{{json .Config.Labels}}', inspect, '{"com.example.b":"2","com.example.a":"1"}'],
  ['json does not escape HTML', '{{json .Text}}', inspect, '"a <b> & \\"c\\""'],
  ['json of null and empty', '{{json .Config.Entrypoint}} {{json .Empty}}', inspect, 'null []'],
  ['json of dot', '{{json .}}', { a: [1, 2.5], b: true }, '{"a":[1,2.5],"b":true}'],
  ['json of a row uses MarshalJSON', '{{json .}}', { MarshalJSON: () => '{"X":1}' }, '{"X":1}'],
  ['range', '{{range .Config.Env}}[{{.}}]{{end}}', inspect, '[PATH=/usr/bin][HOME=/root]'],
  ['range with index and element', '{{range $i, $e := .}}{{$i}}={{$e}} {{end}}', ['a', 'b'], '0=a 1=b '],
  ['range with element variable', '{{range $e := .}}{{$e}}{{end}}', ['a', 'b'], 'ab'],
  ['range over a map is sorted', '{{range $k, $v := .}}{{$k}}:{{$v}} {{end}}', { z: 1, a: 2 }, 'a:2 z:1 '],
  ['range else', '{{range .Empty}}x{{else}}none{{end}}', inspect, 'none'],
  ['range over nil', '{{range .Config.Entrypoint}}x{{end}}.', inspect, '.'],
  ['range over an int', '{{range 3}}{{.}}{{end}}', null, '012'],
  [
    'break and continue',
    '{{range .}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}',
    [1, 2, 3, 4, 5],
    '13',
  ],
  ['if', '{{if .State.Running}}up{{end}}', inspect, 'up'],
  ['if else', '{{if .Empty}}some{{else}}empty{{end}}', inspect, 'empty'],
  ['else if', '{{if eq . "a"}}A{{else if eq . "b"}}B{{else}}C{{end}}', 'b', 'B'],
  ['else if falls to else', '{{if eq . "a"}}A{{else if eq . "b"}}B{{else}}C{{end}}', 'z', 'C'],
  ['if of empty map is false', '{{if .}}yes{{else}}no{{end}}', {}, 'no'],
  ['if of zero is false', '{{if 0}}yes{{else}}no{{end}}', null, 'no'],
  ['with', '{{with .State}}{{.Status}}{{end}}', inspect, 'running'],
  ['with else', '{{with .Nope}}x{{else}}none{{end}}', inspect, 'none'],
  ['else with', '{{with .Nope}}x{{else with .State}}{{.Status}}{{end}}', inspect, 'running'],
  ['variables', '{{$x := 1}}{{$x}}{{$x = 2}} {{$x}}', null, '1 2'],
  ['variable with fields', '{{$c := .Config}}{{$c.Cmd}}', inspect, '[sh]'],
  ['$ is the data', '{{range .Config.Cmd}}{{$.Id}}{{end}}', inspect, 'sha256:0123456789abcdef'],
  [
    'variable scope ends with its block',
    '{{$x := "out"}}{{if true}}{{$x := "in"}}{{$x}}{{end}} {{$x}}',
    null,
    'in out',
  ],
  ['index map', '{{index .Config.Labels "com.example.a"}}', inspect, '1'],
  ['index missing key of a string map', '[{{index .Config.Labels "nope"}}]', inspect, '[]'],
  ['index missing key of a mixed map', '{{index . "nope"}}', { a: 1 }, '<no value>'],
  ['index of a null map', '[{{index .Labels "x"}}]', { Labels: null }, '[]'],
  ['index slice', '{{index .RootFS.Layers 0}}', inspect, 'sha256:aaa'],
  ['index nested', '{{index . 0 1}}', [['a', 'b']], 'b'],
  ['slice', '{{slice . 1 3}} {{slice "abcd" 1}}', ['a', 'b', 'c', 'd'], '[b c] bcd'],
  ['join', '{{join .RepoTags ", "}}', inspect, 'busybox:latest, busybox:1.36'],
  ['split', '{{split . ","}}', 'a,b,,c', '[a b  c]'],
  [
    'lower upper title',
    '{{lower "ABC"}} {{upper "abc"}} {{title "hello wide-world"}}',
    null,
    'abc ABC Hello Wide-World',
  ],
  ['truncate', '{{truncate . 4}} {{truncate "ab" 4}}', 'abcdef', 'abcd ab'],
  ['pad', '[{{pad . 2 1}}][{{pad "" 2 1}}]', 'x', '[  x ][]'],
  ['len', '{{len .RootFS.Layers}} {{len .Config.Labels}} {{len "héllo"}}', inspect, '2 2 6'],
  ['print', '{{print "a" 1 2 "b"}}', null, 'a1 2b'],
  ['println', '{{println "a" 1}}', null, 'a 1\n'],
  [
    'printf verbs',
    '{{printf "%s|%d|%v|%q|%-6s|%6s|%x" "s" 42 .Config.Cmd "q" "ab" "cd" 255}}',
    inspect,
    's|42|[sh]|"q"|ab    |    cd|ff',
  ],
  [
    'printf floats',
    '{{printf "%.2f %e %g %v" 3.14159 1234.5 0.000012 2.5}}',
    null,
    '3.14 1.234500e+03 1.2e-05 2.5',
  ],
  ['printf mismatches', '{{printf "%d %s"  "x"}}', null, '%!d(string=x) %!s(MISSING)'],
  ['eq ne', '{{eq .State.Status "running"}} {{ne 1 2}} {{eq "b" "a" "b"}}', inspect, 'true true true'],
  ['lt le gt ge', '{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', null, 'true true true false'],
  ['and or return values', '{{and 1 0 2}} {{and 1 2}} {{or 0 "" "x"}} {{or 0 ""}}', null, '0 2 x '],
  ['and short-circuits', '{{and false (index . 9)}}', [], 'false'],
  ['not', '{{not true}} {{not ""}}', null, 'false true'],
  [
    'html js urlquery',
    '{{html "<a&b>"}} {{js "it\'s"}} {{urlquery "a b&c"}}',
    null,
    "&lt;a&amp;b&gt; it\\'s a+b%26c",
  ],
  ['trim markers', 'a  {{- "b" -}}  c', null, 'abc'],
  ['trim across lines', '{{range .}}\n  {{- .}}\n{{- end}}', ['x', 'y'], 'xy'],
  ['comments', 'a{{/* hidden */}}b{{- /* trimmed */ -}} c', null, 'abc'],
  ['minus number is not a trim marker', '{{-3}}', null, '-3'],
  ['text only', 'plain text', null, 'plain text'],
];

for (const [name, template, data, expected] of cases) {
  test(`template: ${name}`, () => {
    assert.equal(renderTemplate(template, data), expected);
  });
}

// [template, data, expected error]
const errors: [string, unknown, string][] = [
  [
    '{{.Nope}}',
    new Row(),
    'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext',
  ],
  [
    'x\n  {{.A.Nope}}',
    { A: 'str' },
    'template: :2:4: executing "" at <.A.Nope>: can\'t evaluate field Nope in type string',
  ],
  [
    '{{.State.Health.Status}}',
    inspect,
    'template: :1:2: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status',
  ],
  [
    '{{.ID "x"}}',
    new Row(),
    'template: :1:2: executing "" at <.ID>: ID has arguments but cannot be invoked as function',
  ],
  [
    '{{.Label}}',
    new Row(),
    'template: :1:2: executing "" at <.Label>: wrong number of args for Label: want 1 got 0',
  ],
  ['{{.Id "x"}}', inspect, 'template: :1:2: executing "" at <.Id>: Id is not a method but has arguments'],
  [
    '{{lower .Size}}',
    inspect,
    'template: :1:8: executing "" at <.Size>: wrong type for value; expected string; got int',
  ],
  [
    '{{join .Items ","}}',
    { Items: [1, 2] },
    'template: :1:7: executing "" at <.Items>: wrong type for value; expected []string; got []interface {}',
  ],
  ['{{truncate . "3"}}', 'abc', 'template: :1:13: executing "" at <"3">: expected integer; found "3"'],
  ['{{lower 3}}', null, 'template: :1:8: executing "" at <3>: expected string; found 3'],
  [
    '{{index . 5}}',
    ['a'],
    'template: :1:2: executing "" at <index>: error calling index: index out of range: 5',
  ],
  ['{{len 3}}', null, 'template: :1:2: executing "" at <len>: error calling len: len of type int'],
  [
    '{{eq "a" 1}}',
    null,
    'template: :1:2: executing "" at <eq>: error calling eq: incompatible types for comparison',
  ],
  [
    '{{lt true false}}',
    null,
    'template: :1:2: executing "" at <lt>: error calling lt: invalid type for comparison',
  ],
  ['{{range .}}{{end}}', 'abc', 'template: :1:8: executing "" at <.>: range can\'t iterate over abc'],
  ['{{. "x"}}', null, 'template: :1:2: executing "" at <.>: can\'t give argument to non-function .'],
  [
    '{{printf}}',
    null,
    'template: :1:2: executing "" at <printf>: wrong number of args for printf: want at least 1 got 0',
  ],
  // parse errors
  ['{{.ID', null, 'template: :1: unclosed action'],
  ['{{nope}}', null, 'template: :1: function "nope" not defined'],
  ['{{$x}}', null, 'template: :1: undefined variable "$x"'],
  ['{{if .A}}x', null, 'template: :1: unexpected EOF'],
  ['x\n{{end}}', null, 'template: :2: unexpected {{end}}'],
  ['{{if}}{{end}}', null, 'template: :1: missing value for if'],
  ['{{.A | }}', null, 'template: :1: missing value for command'],
  ['{{"abc}}', null, 'template: :1: unterminated quoted string'],
  ['{{break}}', null, 'template: :1: {{break}} outside {{range}}'],
  ['{{template "x"}}', null, 'template: :1: {{template}} is not supported'],
  ['{{.A}', null, 'template: :1: unexpected "}" in command'],
];

for (const [template, data, expected] of errors) {
  test(`template error: ${JSON.stringify(template)}`, () => {
    assert.throws(
      () => renderTemplate(template, data),
      (err: unknown) =>
        err instanceof BerthError && err.kind === 'InvalidArgument' && err.message === expected,
      `expected ${expected}`,
    );
  });
}

test('an execution error keeps what was written before it, as Go does', () => {
  const { output, error } = executePartial(parseTemplate('a{{.X}}b{{.X.Y.Z}}c'), { X: 'str' });
  assert.equal(output, 'astrb');
  assert.match(error!.message, /can't evaluate field Y in type string/);
});

test('a parsed template runs on many objects', () => {
  const t = parseTemplate('{{.Repository}}:{{.Tag}}');
  const rows = [
    { Repository: 'busybox', Tag: 'latest' },
    { Repository: 'alpine', Tag: '3.20' },
  ];
  assert.deepEqual(
    rows.map((r) => renderTemplate(t.source, r)),
    ['busybox:latest', 'alpine:3.20'],
  );
});

test('golden: an inspect-style template over a whole image', () => {
  const template = [
    'ID:     {{.Id}}',
    'Tags:   {{join .RepoTags ", "}}',
    'Size:   {{.Size}} ({{printf "%.1f" (index . "Ratio")}})',
    '{{- range $k, $v := .Config.Labels}}',
    'Label:  {{$k}}={{$v}}',
    '{{- end}}',
    'Env:    {{range $i, $e := .Config.Env}}{{if $i}}, {{end}}{{$e}}{{end}}',
    'Layers: {{len .RootFS.Layers}}{{with .State}} state={{.Status}}{{end}}',
    'Health: {{.State.Health}} Entrypoint: {{json .Config.Entrypoint}}',
    'Config: {{json .Config}}',
    '',
  ].join('\n');
  assertGolden(golden('template-inspect.golden'), renderTemplate(template, inspect));
});
