import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePorts, portNameErrors, serviceManifest } from './create-service.ts';

describe('create service', () => {
  it('parses port[:targetPort] with kubectl messages', () => {
    assert.deepEqual(parsePorts('80'), { port: 80, targetPort: 80 });
    assert.deepEqual(parsePorts('80:http'), { port: 80, targetPort: 'http' });
    assert.throws(() => parsePorts('abc'), { message: 'strconv.ParseUint: parsing "abc": invalid syntax' });
    assert.throws(() => parsePorts('80:0'), { message: 'must be between 1 and 65535, inclusive' });
    assert.deepEqual(portNameErrors('Bad--'), ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must not contain consecutive hyphens', 'must not begin or end with a hyphen']);
  });

  it('builds the Service kubectl sends: named ports, app selector, node port on every port', () => {
    const svc = serviceManifest('web', undefined, 'NodePort', ['80:8080', '443'], '', 30080, '');
    assert.deepEqual(svc['spec'], {
      ports: [
        { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 },
        { name: '443', protocol: 'TCP', port: 443, targetPort: 443, nodePort: 30080 },
      ],
      selector: { app: 'web' },
      type: 'NodePort',
    });
    assert.deepEqual(serviceManifest('x', 'ns', 'ExternalName', [], '', 0, 'db.example.com')['spec'], { selector: { app: 'x' }, type: 'ExternalName', externalName: 'db.example.com' });
  });
});
