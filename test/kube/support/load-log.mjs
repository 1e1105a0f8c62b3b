// A module-load hook for a child process: appends every URL it loads that belongs to
// @kubernetes/client-node to $LOAD_LOG (hooks run on their own thread, so a file is the simplest channel).
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import process from 'node:process';

const hooks = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.includes('/@kubernetes/client-node/')) appendFileSync(process.env.LOAD_LOG, url + '\\n');
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
appendFileSync(process.env.LOAD_LOG, '');
