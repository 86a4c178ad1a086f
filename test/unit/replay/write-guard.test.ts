import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusedEverywhere } from '../../../harness/replay/write-guard.ts';

/** The write guard's probe of a capture's source before the driver is given it (a plain TCP listener stands for a host). */
describe('refusedEverywhere', () => {
  let open: Server;
  let openPort: number;
  let closedPort: number;

  beforeAll(async () => {
    open = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => open.listen(0, '127.0.0.1', resolve));
    openPort = (open.address() as AddressInfo).port;
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    closedPort = (gone.address() as AddressInfo).port;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
  });
  afterAll(() => new Promise<void>((resolve) => open.close(() => resolve())));

  it('says why when every host refuses, naming each', async () => {
    expect(await refusedEverywhere([`127.0.0.1:${closedPort}`])).toBe(`no host accepts a connection (connect ECONNREFUSED 127.0.0.1:${closedPort})`);
    expect(await refusedEverywhere([`127.0.0.1:${closedPort}`, `[::1]:${closedPort}`])).toMatch(/^no host accepts a connection \(connect ECONNREFUSED 127\.0\.0\.1:\d+; connect E[A-Z]+ ::1:\d+\)$/);
  });

  it('leaves the source to the driver when any host accepts, when it cannot probe (a Unix socket), or when there is no host', async () => {
    expect(await refusedEverywhere([`127.0.0.1:${closedPort}`, `127.0.0.1:${openPort}`])).toBeUndefined();
    expect(await refusedEverywhere(['%2Ftmp%2Fmongodb-27017.sock'])).toBeUndefined();
    expect(await refusedEverywhere(['/tmp/mongodb-27017.sock'])).toBeUndefined();
    expect(await refusedEverywhere([])).toBeUndefined();
  });
});
