export { describeEmulators, EMULATOR_CA_FILE, SANDBOX_APNS_TOPIC, startSandboxEmulators } from './emulators.js';
export { prepareSandbox, SANDBOX_FILE, type SandboxInfo, writeSandboxFile } from './sandbox.js';
