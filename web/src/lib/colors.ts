/** The lab's palette: component colours (a colour-blind-friendly set) and the lecture's curve colours. */

/** Distinct colours for mixture components, as [r, g, b] in 0…255 (Tableau 10, then a few more). */
export const COMPONENT_RGB: readonly (readonly [number, number, number])[] = [
  [78, 121, 167],
  [242, 142, 43],
  [225, 87, 89],
  [118, 183, 178],
  [89, 161, 79],
  [237, 201, 72],
  [176, 122, 161],
  [255, 157, 167],
  [156, 117, 95],
  [186, 176, 172],
  [31, 119, 180],
  [148, 103, 189],
];

export function componentRgb(k: number): readonly [number, number, number] {
  return COMPONENT_RGB[k % COMPONENT_RGB.length]!;
}

export function rgb(c: readonly [number, number, number], alpha = 1): string {
  return alpha === 1 ? `rgb(${c[0]}, ${c[1]}, ${c[2]})` : `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${alpha})`;
}

/** The lecture's figure: exp(σ) blue, 1 + σ red, their difference green. */
export const LECTURE = { blue: '#2f6fdf', red: '#d8363a', green: '#1f9d55', ink: '#1d2330', muted: '#6b7385', grid: '#e6e8ee' } as const;
