// Synthetic halls for tests and the bench: codes shaped like the official ones (2-digit province, 3-digit
// district where kept, 5-digit commune), names with Vietnamese diacritics, and fields that need CSV quoting.
import { csvField } from './csv.js';
import { HALL_COLUMNS } from './halls.js';

export interface SyntheticOptions {
  count: number;
  broker: string;
  /** Every n-th hall keeps a district (the 2025 reform removed most). */
  districtEvery?: number;
  /** Serials `SN<commune>` in the file, for claims by serial. */
  serials?: boolean;
  /** Added to the commune name, to make "changed" rows. */
  nameSuffix?: string;
}

const REGIONS = ['north', 'central', 'south'];

export function syntheticCommuneCode(i: number): string {
  return String(10 + i).padStart(5, '0');
}

export function syntheticCsv(o: SyntheticOptions): string {
  const rows: string[] = [HALL_COLUMNS.join(',')];
  for (let i = 0; i < o.count; i++) {
    const province = String(1 + (i % 34)).padStart(2, '0');
    const commune = syntheticCommuneCode(i);
    const keepDistrict = o.districtEvery !== undefined && i % o.districtEvery === 0;
    const rec: Record<string, string> = {
      province_code: province,
      province_name: `Tỉnh ${province}`,
      district_code: keepDistrict ? String(1 + (i % 700)).padStart(3, '0') : '',
      district_name: keepDistrict ? `Huyện ${i % 700}` : '',
      commune_code: commune,
      commune_name: `Xã Đông, số ${i}${o.nameSuffix ?? ''}`,
      hall_name: `Hội trường UBND xã ${i}`,
      contact_name: `Nguyễn Văn "${i}"`,
      contact_phone: `+84 9${String(i).padStart(8, '0')}`,
      bridge_region: REGIONS[i % REGIONS.length],
      broker: o.broker,
      serial: o.serials ? `SN${commune}` : '',
      groups: '',
    };
    rows.push(HALL_COLUMNS.map((c) => csvField(rec[c])).join(','));
  }
  return rows.join('\r\n') + '\r\n';
}
