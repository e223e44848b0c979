// The logistics module's public face: delivery zones, fees and promised times (zones*), and riders
// with their assignment (riders*, assignment*) as they land.

export * from './riders.js';
export * from './zones.js';
