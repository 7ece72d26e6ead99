// Moved to the arch layer (the boot layer records it with KVM verdicts); kept
// here so pipeline imports stay as they are.
export { qemuVersion } from '../arch/qemu-version.ts';
