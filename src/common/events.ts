// Typed engine events, in the shape the Engine API streams from /events.

export type EventType =
  | 'container'
  | 'image'
  | 'volume'
  | 'network'
  | 'daemon'
  | 'plugin'
  | 'node'
  | 'service'
  | 'secret'
  | 'config'
  | 'builder';

export interface EngineEvent {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  /** seconds since the epoch */
  time: number;
  timeNano: number;
  /** legacy fields (containers and images) */
  status?: string;
  id?: string;
  from?: string;
}

export function makeEvent(
  type: EventType,
  action: string,
  id: string,
  attributes: Record<string, string> = {},
  now = Date.now(),
): EngineEvent {
  const timeNano = now * 1e6;
  const event: EngineEvent = {
    Type: type,
    Action: action,
    Actor: { ID: id, Attributes: attributes },
    scope: 'local',
    time: Math.floor(now / 1000),
    timeNano,
  };
  if (type === 'container' || type === 'image') {
    event.status = action;
    event.id = id;
    if (attributes.image) event.from = attributes.image;
  }
  return event;
}
