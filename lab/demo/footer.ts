// What the demo's footer offers to try, each line a command that works as printed on the demo's broker (anonymous,
// loopback) and whose effect shows: the camera moves to a position the table's cam column then shows (a preset
// recall showed nothing: no preset is stored in a fresh camera), and the group ping's answers are printed where
// the subscriber line listens. test/lab/demo-footer.test.ts runs the camera line from the demo's own output.

export const TRY_PAN = 2000;
export const TRY_TILT = 300;

export function demoFooter(port: number, firstHall: string, group: string): string[] {
  const expiry = '-D publish message-expiry-interval 30';
  return [
    `Try: mosquitto_rr -p ${port} -t diemcau/v1/${firstHall}/cmd/camera.move -e diemcau/v1/${firstHall}/reply/try -m '{"pan":${TRY_PAN},"tilt":${TRY_TILT}}' ${expiry}` +
      `   (prints the answer; the cam column shows p${TRY_PAN}/t${TRY_TILT})`,
    `     mosquitto_sub -V mqttv5 -p ${port} -t 'diemcau/v1/+/reply/#' -v   (where every hall answers a group command)`,
    `     mosquitto_pub -V mqttv5 -p ${port} -t diemcau/v1/group/${group}/cmd/ping -m '{}' ${expiry}`,
  ];
}
