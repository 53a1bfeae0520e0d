// Text of a headless, loopback-only baresip configuration (keys as read by baresip 1.0.x,
// Debian 12; keys unknown to a version are ignored by it).

export type BaresipTransport = 'tls' | 'tcp' | 'udp';

export interface BaresipConfigSpec {
  /** SIP listen port (UDP+TCP; TLS listens on port+1 in baresip 1.x). 0 = ephemeral ports. */
  listenPort: number;
  /** CA file for the SIP TLS client. */
  caFile?: string;
  /** PEM with certificate and key, for mutual TLS. */
  certFile?: string;
  /** ctrl_tcp listen port (null = no control socket). */
  ctrlPort: number | null;
  /**
   * Where DNS queries would go. Everything in tests is an IP literal, so none are expected;
   * pointing the resolver at a closed loopback port keeps any stray query off the network.
   */
  dnsServer: string;
  transport: BaresipTransport;
  extraLines?: readonly string[];
}

export function renderConfig(spec: BaresipConfigSpec): string {
  const lines = [
    '# written by test/helpers/baresip.ts',
    'poll_method\t\tepoll',
    // Only the loopback address: no other interface is ever used or announced.
    'net_interface\t\t127.0.0.1',
    `dns_server\t\t${spec.dnsServer}`,
    `sip_listen\t\t127.0.0.1:${spec.listenPort}`,
    `sip_trans_def\t\t${spec.transport}`,
    ...(spec.caFile ? [`sip_cafile\t\t${spec.caFile}`] : []),
    ...(spec.certFile ? [`sip_certificate\t\t${spec.certFile}`] : []),
    'call_local_timeout\t120',
    'call_max_calls\t\t4',
    // No sound card: a sine tone as the microphone and a bridge as the speaker.
    'audio_source\t\tausine,440',
    // ausine only produces 48 kHz stereo; baresip resamples to the codec's rate and channels.
    'ausrc_srate\t\t48000',
    'ausrc_channels\t\t2',
    'audio_player\t\taubridge,nil',
    'audio_alert\t\taubridge,nil',
    'audio_level\t\tno',
    'rtp_tos\t\t\t0',
    'module_path\t\t/usr/lib/baresip/modules',
    // Deliberately absent: stdio/cons (need a terminal or open a port), alsa/pulse (devices),
    // stun/turn/ice (would contact outside servers), uuid (writes outside the config dir).
    'module\t\t\tg711.so',
    'module\t\t\tausine.so',
    'module\t\t\taubridge.so',
    'module_tmp\t\taccount.so',
    'module_app\t\tmenu.so',
    // No per-second call status line: it would flood the captured output.
    'statmode_default\toff',
    ...(spec.ctrlPort !== null ? ['module_app\t\tctrl_tcp.so', `ctrl_tcp_listen\t\t127.0.0.1:${spec.ctrlPort}`] : []),
    ...(spec.extraLines ?? []),
    '',
  ];
  return lines.join('\n');
}

export interface BaresipAccountSpec {
  user: string;
  /** Host part of the AOR (default 127.0.0.1). */
  domain: string;
  password?: string;
  authUser?: string;
  transport: BaresipTransport;
  /** Outbound proxy: every request goes here (the system under test). */
  proxyHost: string;
  proxyPort: number;
  /** Registration interval (s); 0 disables REGISTER. */
  regint: number;
  autoAnswer: boolean;
  extraParams?: readonly string[];
}

/** One line of baresip's accounts file. */
export function renderAccount(a: BaresipAccountSpec): string {
  const params = [
    ...(a.password !== undefined ? [`auth_pass=${a.password}`] : []),
    ...(a.authUser !== undefined ? [`auth_user=${a.authUser}`] : []),
    `outbound="sip:${a.proxyHost}:${a.proxyPort};transport=${a.transport}"`,
    `regint=${a.regint}`,
    `answermode=${a.autoAnswer ? 'auto' : 'manual'}`,
    'audio_codecs=PCMU,PCMA',
    ...(a.extraParams ?? []),
  ];
  return `<sip:${a.user}@${a.domain};transport=${a.transport}>;${params.join(';')}\n`;
}
