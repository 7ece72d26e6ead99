// SSH to the guest with ssh2: pinned host key, exec with timeouts, and file
// upload streamed over an exec channel (Debian's dropbear has no scp/sftp).
import { Client, type ClientChannel } from 'ssh2';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { InfraError } from '../errors.ts';
import { shellQuote } from '../util/shell-quote.ts';

export interface SshTarget {
  port: number;
  privateKeyPath: string;
  hostKeyBlob: Buffer;
  user?: string;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The connection dropped before the command finished (guest died, sshd killed). */
  disconnected: boolean;
  durationMs: number;
}

export class GuestSsh {
  private closed = false;
  private constructor(private readonly client: Client) {
    client.on('close', () => { this.closed = true; });
  }

  static async connect(target: SshTarget, handshakeTimeoutMs = 10_000): Promise<GuestSsh> {
    const privateKey = await readFile(target.privateKeyPath);
    return await new Promise<GuestSsh>((resolve, reject) => {
      const client = new Client();
      let hostKeyMismatch = false;
      client.once('ready', () => resolve(new GuestSsh(client)));
      client.once('error', (err) => {
        client.end();
        reject(hostKeyMismatch
          ? new InfraError('SSH_HOSTKEY_MISMATCH', `guest on 127.0.0.1:${target.port} presented an unexpected host key`, { stage: 'boot', cause: err, hint: 'the image and keys in the cache disagree: run `kvmatrix cache gc --all` and retry' })
          : err);
      });
      client.connect({
        host: '127.0.0.1',
        port: target.port,
        username: target.user ?? 'root',
        privateKey,
        readyTimeout: handshakeTimeoutMs,
        keepaliveInterval: 5000,
        keepaliveCountMax: 6,
        hostVerifier: (key: Buffer) => {
          const ok = key.equals(target.hostKeyBlob);
          if (!ok) hostKeyMismatch = true;
          return ok;
        },
      });
    });
  }

  isClosed(): boolean {
    return this.closed;
  }

  exec(command: string, opts: { timeoutMs: number; stdin?: NodeJS.ReadableStream | Buffer; onStdout?: (s: string) => void; onStderr?: (s: string) => void }): Promise<ExecResult> {
    const started = Date.now();
    return new Promise<ExecResult>((resolve) => {
      let stdout = '';
      let stderr = '';
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (r: Omit<ExecResult, 'stdout' | 'stderr' | 'durationMs'>) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        this.client.removeListener('close', onClose);
        resolve({ ...r, stdout, stderr, durationMs: Date.now() - started });
      };
      const onClose = () => finish({ exitCode: null, signal: null, timedOut: false, disconnected: true });
      this.client.once('close', onClose);
      if (this.closed) return onClose();
      this.client.exec(command, (err: Error | undefined, channel: ClientChannel) => {
        if (err) return finish({ exitCode: null, signal: null, timedOut: false, disconnected: true });
        timer = setTimeout(() => {
          // Ask nicely, then drop the channel: the caller decides about the VM.
          try { channel.signal('KILL'); } catch { /* dropbear may not support it */ }
          channel.close();
          finish({ exitCode: null, signal: null, timedOut: true, disconnected: false });
        }, opts.timeoutMs);
        let exitCode: number | null = null;
        let signal: string | null = null;
        channel.on('exit', (code: number | null, sig?: string) => { exitCode = code; signal = sig ?? null; });
        channel.on('close', () => finish({ exitCode, signal, timedOut: false, disconnected: exitCode === null && signal === null }));
        channel.on('data', (d: Buffer) => { const s = d.toString(); stdout += s; opts.onStdout?.(s); });
        channel.stderr.on('data', (d: Buffer) => { const s = d.toString(); stderr += s; opts.onStderr?.(s); });
        const input = opts.stdin;
        if (Buffer.isBuffer(input)) channel.end(input);
        else if (input) input.pipe(channel);
        else channel.end();
      });
    });
  }

  /** Upload a file by streaming it into `cat` (paths are ours, never from config). */
  async upload(localPath: string, remotePath: string, mode = '0755', timeoutMs = 60_000): Promise<void> {
    const q = shellQuote(remotePath);
    const r = await this.exec(`cat > ${q} && chmod ${mode} ${q}`, { timeoutMs, stdin: createReadStream(localPath) });
    if (r.exitCode !== 0) {
      throw new InfraError('SSH_UPLOAD_FAILED', `upload of ${localPath} to guest:${remotePath} failed (${r.timedOut ? 'timed out' : r.disconnected ? 'connection lost' : `exit ${r.exitCode}`}): ${r.stderr.trim()}`, { stage: 'run' });
    }
  }

  /** A pty shell wired to this terminal; resolves with the shell's exit code. */
  interactiveShell(): Promise<number> {
    return new Promise((resolve) => {
      const stdin = process.stdin;
      const cols = process.stdout.columns ?? 80;
      const rows = process.stdout.rows ?? 24;
      this.client.shell({ term: process.env.TERM ?? 'xterm', cols, rows }, (err: Error | undefined, channel: ClientChannel) => {
        if (err) return resolve(69);
        const raw = stdin.isTTY;
        if (raw) stdin.setRawMode(true);
        stdin.pipe(channel);
        channel.pipe(process.stdout);
        channel.stderr.pipe(process.stderr);
        let code = 0;
        channel.on('exit', (c: number | null) => { code = c ?? 0; });
        channel.on('close', () => {
          stdin.unpipe(channel);
          if (raw) stdin.setRawMode(false);
          stdin.pause();
          resolve(code);
        });
      });
    });
  }

  close(): void {
    this.client.end();
  }
}
