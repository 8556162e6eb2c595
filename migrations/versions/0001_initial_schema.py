"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 18:09:28.809202

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('festivals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_th', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('venue_th', sa.String(length=300), nullable=False),
    sa.Column('venue_en', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_festivals'))
    )
    op.create_table('organizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name_th', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('is_example', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('member', 'central')", name=op.f('ck_organizations_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('code', name=op.f('uq_organizations_code'))
    )
    op.create_table('festival_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('festival_id', sa.Integer(), nullable=False),
    sa.Column('name_th', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('ends_at IS NULL OR ends_at > starts_at', name=op.f('ck_festival_sessions_ends_after_start')),
    sa.ForeignKeyConstraint(['festival_id'], ['festivals.id'], name=op.f('fk_festival_sessions_festival_id_festivals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_festival_sessions'))
    )
    with op.batch_alter_table('festival_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_festival_sessions_festival_id'), ['festival_id'], unique=False)

    op.create_table('seating_maps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('festival_id', sa.Integer(), nullable=False),
    sa.Column('name_th', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('is_example', sa.Boolean(), nullable=False),
    sa.Column('seat_radius', sa.Double(), nullable=False),
    sa.Column('width', sa.Double(), nullable=False),
    sa.Column('height', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['festival_id'], ['festivals.id'], name=op.f('fk_seating_maps_festival_id_festivals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seating_maps')),
    sa.UniqueConstraint('festival_id', name=op.f('uq_seating_maps_festival_id'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_users_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_entries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_at'), ['at'], unique=False)

    op.create_table('price_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('map_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_th', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('color', sa.String(length=7), nullable=False),
    sa.Column('price_satang', sa.Integer(), nullable=False),
    sa.CheckConstraint('price_satang >= 0', name=op.f('ck_price_categories_price_not_negative')),
    sa.ForeignKeyConstraint(['map_id'], ['seating_maps.id'], name=op.f('fk_price_categories_map_id_seating_maps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_categories')),
    sa.UniqueConstraint('map_id', 'code', name=op.f('uq_price_categories_map_id_code'))
    )
    op.create_table('stands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('map_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_th', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['map_id'], ['seating_maps.id'], name=op.f('fk_stands_map_id_seating_maps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stands')),
    sa.UniqueConstraint('map_id', 'code', name=op.f('uq_stands_map_id_code'))
    )
    op.create_table('user_roles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'treasurer', 'seller', 'gate')", name=op.f('ck_user_roles_role')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_roles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_roles'))
    )
    op.create_table('sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stand_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_th', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['stand_id'], ['stands.id'], name=op.f('fk_sections_stand_id_stands'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sections')),
    sa.UniqueConstraint('stand_id', 'code', name=op.f('uq_sections_stand_id_code'))
    )
    with op.batch_alter_table('sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sections_stand_id'), ['stand_id'], unique=False)

    op.create_table('seats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('map_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('row_label', sa.String(length=20), nullable=False),
    sa.Column('row_index', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=20), nullable=False),
    sa.Column('x', sa.Double(), nullable=False),
    sa.Column('y', sa.Double(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['price_categories.id'], name=op.f('fk_seats_category_id_price_categories')),
    sa.ForeignKeyConstraint(['map_id'], ['seating_maps.id'], name=op.f('fk_seats_map_id_seating_maps'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['section_id'], ['sections.id'], name=op.f('fk_seats_section_id_sections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seats')),
    sa.UniqueConstraint('section_id', 'row_label', 'label', name=op.f('uq_seats_section_id_row_label_label'))
    )
    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seats_map_id'), ['map_id'], unique=False)

    op.create_table('seat_inventory',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('held_by_id', sa.Integer(), nullable=True),
    sa.Column('hold_expires_at', sa.DateTime(), nullable=True),
    sa.Column('block_reason', sa.String(length=200), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state <> 'held' OR (hold_expires_at IS NOT NULL AND held_by_id IS NOT NULL)", name=op.f('ck_seat_inventory_hold_has_expiry')),
    sa.CheckConstraint("state IN ('available', 'held', 'sold', 'blocked')", name=op.f('ck_seat_inventory_state')),
    sa.ForeignKeyConstraint(['held_by_id'], ['users.id'], name=op.f('fk_seat_inventory_held_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_seat_inventory_organization_id_organizations')),
    sa.ForeignKeyConstraint(['seat_id'], ['seats.id'], name=op.f('fk_seat_inventory_seat_id_seats'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['festival_sessions.id'], name=op.f('fk_seat_inventory_session_id_festival_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seat_inventory')),
    sa.UniqueConstraint('session_id', 'seat_id', name=op.f('uq_seat_inventory_session_id_seat_id'))
    )
    with op.batch_alter_table('seat_inventory', schema=None) as batch_op:
        batch_op.create_index('ix_seat_inventory_session_org', ['session_id', 'organization_id'], unique=False)

    


def downgrade():
    
    with op.batch_alter_table('seat_inventory', schema=None) as batch_op:
        batch_op.drop_index('ix_seat_inventory_session_org')

    op.drop_table('seat_inventory')
    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seats_map_id'))

    op.drop_table('seats')
    with op.batch_alter_table('sections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sections_stand_id'))

    op.drop_table('sections')
    op.drop_table('user_roles')
    op.drop_table('stands')
    op.drop_table('price_categories')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_at'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_action'))

    op.drop_table('audit_entries')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('seating_maps')
    with op.batch_alter_table('festival_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_festival_sessions_festival_id'))

    op.drop_table('festival_sessions')
    op.drop_table('organizations')
    op.drop_table('festivals')
    
