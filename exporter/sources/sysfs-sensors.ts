import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TemperatureReading } from './system-source.ts';

/** A temperature file in sysfs (millidegrees Celsius) and the sensor name it is reported under. */
export interface SensorFile {
  readonly sensor: string;
  readonly path: string;
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function firstLine(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every thermal zone (`thermal_zoneN/temp`, named by its `type`) and hwmon input
 * (`hwmonN/tempM_input`, named `<chip>_<label or tempM>`). Looked up once: sensors do not come and
 * go at run time, and the lookup costs more than the readings.
 */
export async function discoverSensors(sysRoot: string): Promise<SensorFile[]> {
  const found: SensorFile[] = [];
  const thermal = join(sysRoot, 'class/thermal');
  for (const zone of (await list(thermal)).filter((z) => z.startsWith('thermal_zone'))) {
    const type = (await firstLine(join(thermal, zone, 'type'))) ?? zone;
    found.push({ sensor: type, path: join(thermal, zone, 'temp') });
  }
  const hwmon = join(sysRoot, 'class/hwmon');
  for (const chip of (await list(hwmon)).filter((c) => c.startsWith('hwmon'))) {
    const dir = join(hwmon, chip);
    const chipName = (await firstLine(join(dir, 'name'))) ?? chip;
    for (const file of (await list(dir)).filter((f) => /^temp\d+_input$/.test(f))) {
      const input = file.slice(0, -'_input'.length);
      const label = (await firstLine(join(dir, `${input}_label`))) ?? input;
      found.push({ sensor: `${chipName}_${label}`, path: join(dir, file) });
    }
  }
  return found;
}

/** Current values; a sensor that cannot be read now (ENODATA from a sleeping chip) is left out. */
export async function readSensors(sensors: readonly SensorFile[]): Promise<TemperatureReading[]> {
  const readings = await Promise.all(
    sensors.map(async ({ sensor, path }) => {
      const milli = Number(await firstLine(path));
      return Number.isFinite(milli) ? { sensor, celsius: milli / 1000 } : undefined;
    }),
  );
  return readings.filter((r): r is TemperatureReading => r !== undefined);
}
