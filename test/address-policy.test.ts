import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressPolicy } from '../src/outbound/address-policy.ts';
import { OutboundError, OutboundHttp } from '../src/outbound/http-client.ts';
import { fixedResolver } from './support/resolver.ts';

const PUBLIC_ADDRESSES = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2001:4860:4860::8888'];

const REFUSED_ADDRESSES = [
  '0.0.0.0',
  '10.0.0.1',
  '100.64.0.1',
  '127.0.0.1',
  '127.255.255.254',
  '169.254.169.254',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '192.0.2.10',
  '198.18.0.1',
  '224.0.0.1',
  '255.255.255.255',
  '::',
  '::1',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:10.0.0.1',
  '::ffff:169.254.169.254',
  '::127.0.0.1',
  '::7f00:1',
  '::a00:1',
  '64:ff9b::7f00:1',
  '2002:7f00:1::1',
  'fc00::1',
  'fd12:3456::1',
  'fe80::1',
  'ff02::1',
  '2001:db8::1',
];

describe('outbound address policy', () => {
  const policy = new AddressPolicy([]);

  it('accepts public IPv4 and IPv6 addresses, by literal and as a resolved name', () => {
    for (const address of PUBLIC_ADDRESSES) {
      assert.equal(policy.isAllowed(address, address), true, address);
      assert.equal(policy.isAllowed('hooks.example.com', address), true, `a name resolving to ${address}`);
    }
    assert.equal(policy.isAllowed('x', '::ffff:8.8.8.8'), true, 'a mapped public IPv4');
  });

  it('refuses every private, loopback, link-local, CGNAT, mapped and IPv4-compatible form', () => {
    for (const address of REFUSED_ADDRESSES) {
      assert.equal(policy.isAllowed(address, address), false, address);
      assert.equal(policy.isAllowed('hooks.example.com', address), false, `a name resolving to ${address}`);
    }
  });

  it('lets ALLOW_PRIVATE_URLS open named hosts and addresses, and nothing else', () => {
    const allowing = new AddressPolicy(['127.0.0.1', 'internal.example', '[::1]']);
    assert.equal(allowing.isAllowed('127.0.0.1', '127.0.0.1'), true);
    assert.equal(allowing.isAllowed('x', '::ffff:127.0.0.1'), true, 'the mapped form of an allowed address');
    assert.equal(allowing.isAllowed('internal.example', '10.1.2.3'), true);
    assert.equal(allowing.isAllowed('::1', '::1'), true);
    assert.equal(allowing.isAllowed('other.example', '10.1.2.3'), false);
    assert.equal(allowing.isAllowed('127.0.0.2', '127.0.0.2'), false);
  });

  describe('assertReachable, through an injected resolver', () => {
    const outbound = new OutboundHttp({
      allowPrivate: [],
      userAgent: 'test',
      resolve: fixedResolver({
        'public.example.test': ['93.184.216.34', '2606:4700:4700::1111'],
        'private.example.test': ['10.0.0.5'],
        'mixed.example.test': ['93.184.216.34', '127.0.0.1'],
        'mapped.example.test': ['::ffff:192.168.0.1'],
      }),
    });
    const refusal = async (url: string) => {
      const error = await outbound.assertReachable(url).then(() => null, (caught: unknown) => caught);
      return error instanceof OutboundError ? error.kind : error;
    };

    it('accepts public literals and names that resolve only to public addresses', async () => {
      for (const url of ['http://8.8.8.8/hook', 'https://1.1.1.1/', 'http://93.184.216.34/', 'http://[2606:4700:4700::1111]/x', 'https://public.example.test/hook']) {
        assert.equal((await outbound.assertReachable(url)).href, new URL(url).href, url);
      }
    });

    it('refuses names with any private address, private literals in every spelling, and names that do not resolve', async () => {
      for (const url of ['http://private.example.test/', 'http://mixed.example.test/', 'http://mapped.example.test/', 'http://[::127.0.0.1]/', 'http://[::7f00:1]/', 'http://[::ffff:7f00:1]/', 'http://127.1/', 'http://0x7f000001/']) {
        assert.equal(await refusal(url), 'blocked_address', url);
      }
      assert.equal(await refusal('http://nowhere.example.test/'), 'unreachable');
    });
  });
});
