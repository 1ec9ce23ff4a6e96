import { compileLogFormat, type CompiledFormat } from './log-format.js';

/**
 * The built-in formats, as the configuration manual defines them (section 8.2, "strict
 * equivalent of option …"), compiled by the same log-format compiler as custom formats.
 */
export const BUILTIN_FORMAT_STRINGS = {
  /** option tcplog */
  tcplog: '%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq',
  /** option tcplog clf */
  'tcplog-clf':
    '%{Q}o %{-Q}ci - - [%T] "TCP " 000 %B "" "" %cp %ms %ft %b %s %Th %Tw %Tc %Tt %U %ts-- %ac %fc %bc %sc %rc %sq %bq "" "" ',
  /** option httplog */
  httplog:
    '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r',
  /** option httplog clf */
  'httplog-clf':
    '%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl',
  /** option httpslog */
  httpslog:
    '%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r ' +
    '%[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc',
  /** The manual's detailed `error-log-format` example (section 8.2.5). */
  'error-log':
    '%ci:%cp [%tr] %ft %ac/%fc %[fc_err]/%[ssl_fc_err,hex]/%[ssl_c_err]/%[ssl_c_ca_err]/%[ssl_fc_is_resumed] %[ssl_fc_sni]/%sslv/%sslc',
} as const;

export type BuiltinFormatName = keyof typeof BUILTIN_FORMAT_STRINGS;

let compiled: Map<string, CompiledFormat> | null = null;

/** The compiled built-in formats (compiled once, on first use). */
export function builtinFormat(name: BuiltinFormatName): CompiledFormat {
  if (compiled === null) {
    compiled = new Map();
    for (const [n, f] of Object.entries(BUILTIN_FORMAT_STRINGS)) compiled.set(n, compileLogFormat(f, n, n === 'error-log' ? 'error' : undefined));
  }
  return compiled.get(name)!;
}
