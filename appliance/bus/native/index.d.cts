// Typed in appliance/bus/nng-native.ts (NngNative); this keeps TypeScript from guessing.
declare const native: unknown;
export = native;
