/** How the suites that need redis-server or Chromium find them, and the line that counts the skipped tests. */
import { strict as assert } from 'node:assert';
import { skippedLine, toolPath, type Tool } from '../support/tools';

describe('system programs of the test suites', function () {
  const saved = { hide: process.env.TBK_HIDE_TOOLS, path: process.env.PATH };
  afterEach(function () {
    if (saved.hide === undefined) delete process.env.TBK_HIDE_TOOLS;
    else process.env.TBK_HIDE_TOOLS = saved.hide;
    process.env.PATH = saved.path;
  });

  it('says in one line how many tests were skipped and what to install', function () {
    assert.equal(skippedLine(new Map()), undefined);
    assert.equal(
      skippedLine(
        new Map<Tool, number>([
          ['chromium', 9],
          ['redis-server', 15],
        ]),
      ),
      '24 tests skipped: install redis-server / chromium to run them',
    );
    assert.equal(
      skippedLine(new Map<Tool, number>([['redis-server', 1]])),
      '1 test skipped: install redis-server to run them',
    );
  });

  it('finds a program on the PATH only, and not when TBK_HIDE_TOOLS hides it', function () {
    process.env.PATH = '/nonexistent';
    delete process.env.TBK_HIDE_TOOLS;
    assert.equal(toolPath('redis-server'), undefined);
    process.env.PATH = saved.path;
    process.env.TBK_HIDE_TOOLS = 'redis-server,chromium';
    assert.equal(toolPath('redis-server'), undefined);
    assert.equal(toolPath('chromium'), undefined);
  });
});
