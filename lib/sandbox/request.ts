/** Reading a request to the sandbox as the gateway does (query then body, form or multipart), and its HTML error pages. */
import type { IncomingMessage } from 'node:http';
import { Response as UndiciResponse } from 'undici';
import type { ReceivedFile } from './gateway';

const MAX_BODY_BYTES = 20 * 1024 * 1024;

export function htmlPage(status: number, title: string): string {
  return `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function charsetOf(contentType: string): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType);
  return m ? m[1]!.toLowerCase() : undefined;
}

export interface ParsedRequest {
  params: Record<string, string>;
  queryKeys: string[];
  files: ReceivedFile[];
}

export async function parseRequest(req: IncomingMessage, url: URL): Promise<ParsedRequest> {
  const params: Record<string, string> = {};
  const queryKeys: string[] = [];
  // Servlet order: query string values come before body values, and the first value wins.
  for (const [key, value] of url.searchParams) {
    if (!(key in params)) {
      params[key] = value;
      queryKeys.push(key);
    }
  }
  const files: ReceivedFile[] = [];
  if (req.method !== 'POST') return { params, queryKeys, files };
  const body = await readBody(req);
  const contentType = req.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') {
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) if (!(key in params)) params[key] = value;
  } else if (mediaType === 'multipart/form-data') {
    const form = await new UndiciResponse(body, { headers: { 'content-type': contentType } }).formData();
    for (const [key, value] of form) {
      if (typeof value === 'string') {
        if (!(key in params)) params[key] = value;
      } else {
        files.push({ name: key, filename: value.name, size: value.size, contentType: value.type });
      }
    }
  }
  return { params, queryKeys, files };
}
