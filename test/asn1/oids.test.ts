import { CmpOids, oidName, PkixOids } from '../../src/asn1';

describe('CMP and CRMF object identifiers', () => {
  it('are all distinct, except the arcs they are built from', () => {
    const leaves = Object.entries({ ...CmpOids, ...PkixOids }).filter(([key]) => !/^id(Pkix|It|Pkip|RegCtrl|RegInfo|Kp)$/.test(key));
    const values = leaves.map(([, v]) => v);
    expect(new Set(values).size).toBe(values.length);
  });

  it('sit under the arcs RFC 9810 and RFC 4211 assign', () => {
    expect(CmpOids.idItCaCerts).toBe('1.3.6.1.5.5.7.4.17');
    expect(CmpOids.idItKemCiphertextInfo).toBe('1.3.6.1.5.5.7.4.24');
    expect(CmpOids.idRegCtrlOldCertID).toBe('1.3.6.1.5.5.7.5.1.5');
    expect(CmpOids.idRegInfoCertReq).toBe('1.3.6.1.5.5.7.5.2.2');
    expect(CmpOids.idKpCmKGA).toBe('1.3.6.1.5.5.7.3.32');
    expect(CmpOids.passwordBasedMac).toBe('1.2.840.113533.7.66.13');
    expect(CmpOids.kemBasedMac).toBe('1.2.840.113533.7.66.16');
    expect(CmpOids.dhBasedMac).toBe('1.2.840.113533.7.66.30');
  });

  it('have names, with algorithm names from the crypto table and undefined for unknown OIDs', () => {
    expect(oidName(CmpOids.idItImplicitConfirm)).toBe('id-it-implicitConfirm');
    expect(oidName(CmpOids.pbmac1)).toBe('PBMAC1');
    expect(oidName('2.16.840.1.101.3.4.2.1')).toBe('SHA-256');
    expect(oidName('1.2.3.4.5.6.7')).toBeUndefined();
    for (const [key, value] of Object.entries(CmpOids)) {
      if (!/^id(Pkix|It|Pkip|RegCtrl|RegInfo|Kp)$/.test(key)) expect([key, oidName(value)]).not.toEqual([key, undefined]);
    }
  });
});
