import { defineErrors } from '../../../appliance/errors/index.ts';

// What can go wrong while the agent makes instances real. None of these ends
// the agent: each lands on one instance's report (state error) and that
// instance is retried with back-off.
export const hypervisorErrors = defineErrors('HYPERVISOR', {
  VIRSH_UNAVAILABLE: {
    status: 503,
    exit: 1,
    message: 'Cannot talk to libvirt at {uri}: {reason}; install libvirt-clients, start libvirtd (systemctl start libvirtd) and check that the agent may use {uri}',
  },
  VIRSH_FAILED: {
    status: 502,
    exit: 1,
    message: 'virsh {command} failed: {reason}; the agent retries with back-off (run `virsh -c {uri} {command}` on the host to see more)',
  },
  DOMAIN_NOT_FOUND: {
    status: 404,
    exit: 1,
    message: 'Cannot find libvirt domain {name}: it was removed behind the agent\'s back; the agent defines it again on its next pass',
  },
  IMAGE_FETCH_FAILED: {
    status: 502,
    exit: 1,
    message: 'Cannot fetch image {imageId} at byte {offset}: {reason}; the agent retries with back-off and resumes where it stopped',
  },
  IMAGE_SIZE_MISMATCH: {
    status: 502,
    exit: 1,
    message: 'Image {imageId} is {actual} bytes but the desired state says {expected}; the partial file was deleted; upload the image again if this repeats',
  },
  IMAGE_CHECKSUM_MISMATCH: {
    status: 502,
    exit: 1,
    message: 'Image {imageId} has SHA-256 {actual} but the desired state says {expected}; the file was deleted and is fetched again; upload the image again if this repeats',
  },
  DISK_FAILED: {
    status: 500,
    exit: 1,
    message: 'Cannot make the root disk {path}: {reason}; install qemu-utils and check free space under {dir}',
  },
  SEED_FAILED: {
    status: 500,
    exit: 1,
    message: 'Cannot make the NoCloud seed for instance {id}: {reason}; check free space under {dir}',
  },
});
