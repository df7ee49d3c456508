// Test helpers: a container record with every field filled in, for stores in unit tests.

import { type ContainerRecord, initialState } from './record.ts';

/** A running busybox container's record named after its id; `fields` replace the defaults. */
export function runningRecord(id: string, fields: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    ID: id,
    Created: new Date().toISOString(),
    Path: 'sh',
    Args: [],
    State: { ...initialState(), Status: 'running', Running: true, StartedAt: new Date().toISOString() },
    Image: 'sha256:x',
    Name: `/${id}`,
    RestartCount: 0,
    Driver: 'vfs',
    Config: { Image: 'busybox' },
    HostConfig: {},
    LogPath: '',
    ResolvConfPath: '',
    HostnamePath: '',
    HostsPath: '',
    ManuallyStopped: false,
    CgroupsPath: '',
    ...fields,
  } as ContainerRecord;
}
