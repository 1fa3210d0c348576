import { defineErrors } from '../../../appliance/errors/index.ts';

// Compute: flavors, images, key pairs, server groups, instances and quotas, over
// the REST API and the host methods. Every code has a row in docs/errors.md under "COMPUTE:".
export const computeErrors = defineErrors('COMPUTE', {
  FLAVOR_NOT_FOUND: { status: 404, exit: 1, message: 'No flavor {flavor}; `GET /api/v1/flavors` lists those you may use' },
  FLAVOR_EXISTS: { status: 409, exit: 1, message: 'A flavor named {flavor} already exists; choose another name or delete it first' },
  FLAVOR_IN_USE: { status: 409, exit: 1, message: 'Cannot delete flavor {flavor}: {count} instance(s) use it; delete them first' },
  BAD_EXTRA_SPEC: { status: 400, exit: 1, message: 'Cannot use extra spec "{key}": "{value}": only trait:NAME set to "required" or "forbidden" is understood' },
  IMAGE_NOT_FOUND: { status: 404, exit: 1, message: 'No image {image} visible to this project; list the images to see which are' },
  IMAGE_NOT_ACTIVE: { status: 409, exit: 1, message: 'Image {image} is still uploading; wait for its upload to finish' },
  IMAGE_IN_USE: { status: 409, exit: 1, message: 'Cannot delete image {image}: {count} instance(s) use it; delete them first' },
  IMAGE_EMPTY: { status: 400, exit: 1, message: 'Cannot store image {image}: the upload had no bytes; send the image file as the body (application/octet-stream)' },
  IMAGE_TOO_LARGE: { status: 413, exit: 1, message: 'Cannot store image {image}: it is larger than {limit} bytes' },
  IMAGE_CHECKSUM_MISMATCH: {
    status: 400,
    exit: 1,
    message: 'Image {image} was not stored: its SHA-256 is {actual}, the x-image-sha256 header said {expected}; the file changed on the way or the checksum is of another file',
  },
  IMAGE_FORMAT_MISMATCH: { status: 400, exit: 1, message: 'Image {image} was not stored: it does not start like a qcow2 file; upload it with format=raw, or convert it with `qemu-img convert -O qcow2`' },
  IMAGE_UPLOAD_FAILED: { status: 500, exit: 1, message: 'Cannot store image {image}: {reason}; check the data directory has room and try again' },
  IMAGE_NOT_ON_HOST: { status: 403, exit: 1, message: 'Host {host} asked for image {image}, but no instance placed on it uses that image' },
  IMAGE_OFFSET_PAST_END: { status: 400, exit: 1, message: 'Cannot read image {image} at offset {offset}: it has {size} bytes' },
  KEY_PAIR_NOT_FOUND: { status: 404, exit: 1, message: 'No key pair {name} in project {project}; list the key pairs to see which there are' },
  KEY_PAIR_EXISTS: { status: 409, exit: 1, message: 'Project {project} already has a key pair named {name}; delete it first or choose another name' },
  BAD_PUBLIC_KEY: { status: 400, exit: 1, message: 'Cannot use the public key: {reason}; give one OpenSSH line such as "ssh-ed25519 AAAA... comment" (the .pub file)' },
  SERVER_GROUP_NOT_FOUND: { status: 404, exit: 1, message: 'No server group {group} in project {project}' },
  SERVER_GROUP_EXISTS: { status: 409, exit: 1, message: 'Project {project} already has a server group named {group}; choose another name' },
  SERVER_GROUP_IN_USE: { status: 409, exit: 1, message: 'Cannot delete server group {group}: {count} instance(s) are in it; delete them first' },
  INSTANCE_NOT_FOUND: { status: 404, exit: 1, message: 'No instance {instance} in project {project}; list the instances to see which there are' },
  INSTANCE_EXISTS: { status: 409, exit: 1, message: 'Project {project} already has an instance named {name}; choose another name' },
  INSTANCE_WRONG_STATE: { status: 409, exit: 1, message: 'Cannot {action} instance {instance}: it is {state}; {hint}' },
  NO_VALID_HOST: {
    status: 409,
    exit: 1,
    message: 'No host can take instance {name} ({instance}): {summary}; it is kept in state error, `GET .../instances/{instance}/why` gives each host\'s reason; delete it and try another flavor, or free capacity',
  },
  OVER_QUOTA: {
    status: 403,
    exit: 1,
    message: 'Cannot create instance {name}: quota {quota} of project {project} would be exceeded ({used} used + {asked} asked > {limit} allowed); delete instances or ask a cloud admin to raise the quota',
  },
});
