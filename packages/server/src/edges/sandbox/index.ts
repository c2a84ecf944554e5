export {
  configureSandboxProviders,
  describeEmulators,
  EMULATOR_CA_FILE,
  emulatorProviderCredentials,
  registerSandboxDevices,
  SANDBOX_USER,
  startSandboxEmulators,
} from './emulators.js';
export { prepareSandbox, SANDBOX_FILE, type SandboxInfo, writeSandboxFile } from './sandbox.js';
